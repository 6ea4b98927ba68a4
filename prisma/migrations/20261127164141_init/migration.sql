-- CreateTable
CREATE TABLE "applications" (
    "id" UUID NOT NULL,
    "name" VARCHAR(63) NOT NULL,
    "description" VARCHAR(1000),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "web_port" INTEGER,
    "probe_startup_timeout_seconds" INTEGER NOT NULL DEFAULT 60,
    "probe_timeout_seconds" INTEGER NOT NULL DEFAULT 10,
    "probe_max_retries" INTEGER NOT NULL DEFAULT 300,
    "probe_interval_ms" INTEGER NOT NULL DEFAULT 200,
    "probe_path" VARCHAR(2048) NOT NULL DEFAULT '/',

    CONSTRAINT "applications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "release_commands" (
    "id" UUID NOT NULL,
    "application_id" UUID NOT NULL,
    "label" VARCHAR(200) NOT NULL,
    "command" TEXT NOT NULL,
    "timeout_seconds" INTEGER NOT NULL DEFAULT 1800,
    "position" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "release_commands_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "applications_name_key" ON "applications"("name");

-- CreateIndex
CREATE INDEX "release_commands_application_id_position_idx" ON "release_commands"("application_id", "position");

-- AddForeignKey
ALTER TABLE "release_commands" ADD CONSTRAINT "release_commands_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE CASCADE ON UPDATE CASCADE;
