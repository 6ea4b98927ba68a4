-- What the reconciler last saw of each live release's workload.
ALTER TABLE "releases" ADD COLUMN "health" VARCHAR(10) NOT NULL DEFAULT 'running';
ALTER TABLE "releases" ADD COLUMN "health_checked_at" TIMESTAMPTZ(3);
