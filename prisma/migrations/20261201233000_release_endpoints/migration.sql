-- Replicas: a release answers at one endpoint per replica. Releases made before keep their one
-- endpoint, now also as the only element of endpoints.
ALTER TABLE "releases" ADD COLUMN "endpoints" TEXT[] DEFAULT ARRAY[]::TEXT[];
UPDATE "releases" SET "endpoints" = ARRAY["endpoint"]::TEXT[];
ALTER TABLE "releases" ALTER COLUMN "endpoints" SET NOT NULL;
