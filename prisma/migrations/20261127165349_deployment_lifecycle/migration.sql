-- AlterTable
ALTER TABLE "deployments" ADD COLUMN     "cancel_requested_at" TIMESTAMPTZ(3),
ADD COLUMN     "heartbeat_at" TIMESTAMPTZ(3),
ADD COLUMN     "idempotency_key" VARCHAR(255),
ADD COLUMN     "request_fingerprint" VARCHAR(64),
ADD COLUMN     "worker_id" VARCHAR(200);

-- CreateIndex
CREATE UNIQUE INDEX "deployments_application_id_idempotency_key_key" ON "deployments"("application_id", "idempotency_key");


