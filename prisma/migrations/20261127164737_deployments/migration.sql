-- CreateEnum
CREATE TYPE "deployment_status" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "step_status" AS ENUM ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled');

-- CreateEnum
CREATE TYPE "step_kind" AS ENUM ('pull', 'release_command', 'start', 'probe', 'activate');

-- CreateTable
CREATE TABLE "deployments" (
    "id" UUID NOT NULL,
    "sequence" BIGSERIAL NOT NULL,
    "application_id" UUID NOT NULL,
    "image" VARCHAR(512) NOT NULL,
    "status" "deployment_status" NOT NULL DEFAULT 'queued',
    "settings" JSONB NOT NULL,
    "image_id" VARCHAR(200),
    "image_digest" VARCHAR(600),
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "deployments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_steps" (
    "id" UUID NOT NULL,
    "deployment_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "kind" "step_kind" NOT NULL,
    "label" VARCHAR(200) NOT NULL,
    "source" VARCHAR(10),
    "command" TEXT,
    "status" "step_status" NOT NULL DEFAULT 'pending',
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "duration_ms" INTEGER,
    "exit_code" INTEGER,
    "error" TEXT,
    "log_omitted_bytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "deployment_steps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "log_chunks" (
    "id" BIGSERIAL NOT NULL,
    "deployment_id" UUID NOT NULL,
    "step_id" UUID,
    "part" VARCHAR(4) NOT NULL DEFAULT 'head',
    "text" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_chunks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "releases" (
    "application_id" UUID NOT NULL,
    "deployment_id" UUID NOT NULL,
    "image" VARCHAR(512) NOT NULL,
    "image_id" VARCHAR(200) NOT NULL,
    "container_id" VARCHAR(100) NOT NULL,
    "container_port" INTEGER NOT NULL,
    "host_port" INTEGER NOT NULL,
    "activated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "releases_pkey" PRIMARY KEY ("application_id")
);

-- CreateIndex
CREATE INDEX "deployments_application_id_sequence_idx" ON "deployments"("application_id", "sequence" DESC);

-- CreateIndex
CREATE INDEX "deployments_status_idx" ON "deployments"("status");

-- CreateIndex
CREATE UNIQUE INDEX "deployments_sequence_key" ON "deployments"("sequence");

-- CreateIndex
CREATE UNIQUE INDEX "deployment_steps_deployment_id_position_key" ON "deployment_steps"("deployment_id", "position");

-- CreateIndex
CREATE INDEX "log_chunks_deployment_id_id_idx" ON "log_chunks"("deployment_id", "id");

-- CreateIndex
CREATE INDEX "log_chunks_step_id_id_idx" ON "log_chunks"("step_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "releases_deployment_id_key" ON "releases"("deployment_id");

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_steps" ADD CONSTRAINT "deployment_steps_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "log_chunks" ADD CONSTRAINT "log_chunks_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "log_chunks" ADD CONSTRAINT "log_chunks_step_id_fkey" FOREIGN KEY ("step_id") REFERENCES "deployment_steps"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "releases" ADD CONSTRAINT "releases_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "releases" ADD CONSTRAINT "releases_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
