-- One row: the id this installation labels its containers with.
CREATE TABLE "installation" (
    "singleton" SMALLINT NOT NULL DEFAULT 1,
    "id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "installation_pkey" PRIMARY KEY ("singleton")
);

CREATE UNIQUE INDEX "installation_id_key" ON "installation"("id");
