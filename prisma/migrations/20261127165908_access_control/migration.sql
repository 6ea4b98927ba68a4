-- CreateEnum
CREATE TYPE "token_scope" AS ENUM ('admin', 'deploy');

-- AlterTable
ALTER TABLE "deployments" ADD COLUMN     "env_snapshot" JSONB NOT NULL DEFAULT '[]';

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" UUID NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "scope" "token_scope" NOT NULL,
    "secret_hash" CHAR(64) NOT NULL,
    "prefix" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_token_apps" (
    "token_id" UUID NOT NULL,
    "application_id" UUID NOT NULL,

    CONSTRAINT "api_token_apps_pkey" PRIMARY KEY ("token_id","application_id")
);

-- CreateTable
CREATE TABLE "env_vars" (
    "application_id" UUID NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "secret" BOOLEAN NOT NULL,
    "value" TEXT,
    "sealed_value" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "env_vars_pkey" PRIMARY KEY ("application_id","name")
);

-- CreateTable
CREATE TABLE "registry_credentials" (
    "application_id" UUID NOT NULL,
    "server" VARCHAR(255) NOT NULL,
    "username" VARCHAR(255) NOT NULL,
    "sealed_password" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "registry_credentials_pkey" PRIMARY KEY ("application_id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_token_id" UUID,
    "actor_name" VARCHAR(100) NOT NULL,
    "action" VARCHAR(100) NOT NULL,
    "application_id" UUID,
    "app_name" VARCHAR(255),
    "target" JSONB NOT NULL,
    "details" JSONB NOT NULL,
    "address" VARCHAR(100) NOT NULL,
    "request_id" VARCHAR(128) NOT NULL,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_secret_hash_key" ON "api_tokens"("secret_hash");

-- CreateIndex
CREATE INDEX "api_token_apps_application_id_idx" ON "api_token_apps"("application_id");

-- CreateIndex
CREATE INDEX "audit_events_application_id_id_idx" ON "audit_events"("application_id", "id" DESC);

-- AddForeignKey
ALTER TABLE "api_token_apps" ADD CONSTRAINT "api_token_apps_token_id_fkey" FOREIGN KEY ("token_id") REFERENCES "api_tokens"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_token_apps" ADD CONSTRAINT "api_token_apps_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "env_vars" ADD CONSTRAINT "env_vars_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registry_credentials" ADD CONSTRAINT "registry_credentials_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE CASCADE ON UPDATE CASCADE;


