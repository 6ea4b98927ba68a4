-- A release names an engine workload and an endpoint instead of a Docker container and host port.
ALTER TABLE "releases" RENAME COLUMN "container_id" TO "workload_ref";
ALTER TABLE "releases" ALTER COLUMN "workload_ref" TYPE VARCHAR(200);
ALTER TABLE "releases" RENAME COLUMN "container_port" TO "web_port";
ALTER TABLE "releases" ADD COLUMN "engine" VARCHAR(20) NOT NULL DEFAULT 'docker';
ALTER TABLE "releases" ALTER COLUMN "engine" DROP DEFAULT;
ALTER TABLE "releases" ADD COLUMN "endpoint" VARCHAR(500);
UPDATE "releases" SET "endpoint" = 'http://127.0.0.1:' || "host_port";
ALTER TABLE "releases" ALTER COLUMN "endpoint" SET NOT NULL;
ALTER TABLE "releases" DROP COLUMN "host_port";
