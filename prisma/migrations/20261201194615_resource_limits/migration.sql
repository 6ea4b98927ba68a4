-- AlterTable
ALTER TABLE "applications" ADD COLUMN     "resource_cpus" DOUBLE PRECISION NOT NULL DEFAULT 1,
ADD COLUMN     "resource_memory_mib" INTEGER NOT NULL DEFAULT 512,
ADD COLUMN     "resource_pids" INTEGER NOT NULL DEFAULT 512;
