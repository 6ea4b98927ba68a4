-- CreateTable
CREATE TABLE "domains" (
    "hostname" VARCHAR(253) NOT NULL,
    "application_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "domains_pkey" PRIMARY KEY ("hostname")
);

-- CreateIndex
CREATE INDEX "domains_application_id_idx" ON "domains"("application_id");

-- AddForeignKey
ALTER TABLE "domains" ADD CONSTRAINT "domains_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE CASCADE ON UPDATE CASCADE;
