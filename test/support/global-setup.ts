import type { TestProject } from 'vitest/node';
import { prepareTemplateDatabase } from './template-database.js';
import { resolveBackingServices } from './backing-services.js';
import { createStartedRecord } from './started-record.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection to the PostgreSQL server that holds the per-file test databases. */
    postgresAdminUrl: string;
    /** Name of the migrated template each test file clones. */
    templateDatabase: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = createStartedRecord();
  process.env.SLIPWAY_STARTED_RECORD = started.path;
  const services = await resolveBackingServices();
  const templateDatabase = await prepareTemplateDatabase(services.postgresAdminUrl);
  project.provide('postgresAdminUrl', services.postgresAdminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('redisUrl', services.redisUrl);
  return async () => {
    // The registries ensure-docker.sh started for this run; ones that were up before stay up.
    const stopped = await started.stopAll();
    if (stopped.length > 0)
      process.stdout.write(`stopped what the tests started: ${stopped.join(', ')}\n`);
    await services.stop();
  };
}
