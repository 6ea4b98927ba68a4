-- Rollback deployments and retained (stopped, kept) previous releases.
CREATE TYPE "deployment_kind" AS ENUM ('deploy', 'rollback');

ALTER TABLE "deployments"
  ADD COLUMN "kind" "deployment_kind" NOT NULL DEFAULT 'deploy',
  ADD COLUMN "rollback_of" UUID,
  ADD COLUMN "run_release_commands" BOOLEAN NOT NULL DEFAULT true;

ALTER TABLE "releases" ADD COLUMN "env_fingerprint" VARCHAR(64);

CREATE TABLE "retained_releases" (
    "deployment_id" UUID NOT NULL,
    "application_id" UUID NOT NULL,
    "workload_ref" VARCHAR(200) NOT NULL,
    "image_id" VARCHAR(200) NOT NULL,
    "web_port" INTEGER NOT NULL,
    "env_fingerprint" VARCHAR(64),
    "retained_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "retained_releases_pkey" PRIMARY KEY ("deployment_id")
);

CREATE UNIQUE INDEX "retained_releases_workload_ref_key" ON "retained_releases"("workload_ref");
CREATE INDEX "retained_releases_application_id_retained_at_idx" ON "retained_releases"("application_id", "retained_at" DESC);

ALTER TABLE "retained_releases" ADD CONSTRAINT "retained_releases_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "retained_releases" ADD CONSTRAINT "retained_releases_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
