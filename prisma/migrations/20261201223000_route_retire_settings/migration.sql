-- The route and retire steps after activate, and the web container settings they use.
ALTER TYPE "step_kind" ADD VALUE 'route';
ALTER TYPE "step_kind" ADD VALUE 'retire';

ALTER TABLE "applications"
  ADD COLUMN "web_replicas" INTEGER NOT NULL DEFAULT 1,
  ADD COLUMN "web_drain_timeout_seconds" INTEGER NOT NULL DEFAULT 30,
  ADD COLUMN "web_stop_timeout_seconds" INTEGER NOT NULL DEFAULT 10,
  ADD COLUMN "web_retain_releases" INTEGER NOT NULL DEFAULT 2;
