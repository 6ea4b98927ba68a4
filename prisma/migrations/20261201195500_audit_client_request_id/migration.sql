-- AlterTable
ALTER TABLE "audit_events" ADD COLUMN     "client_request_id" VARCHAR(128);
