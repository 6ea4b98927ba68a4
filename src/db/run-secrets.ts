import { credentialsApplyTo } from '../domain/registry-server.js';
import {
  envVarContext,
  open,
  registryPasswordContext,
  SecretDecryptionError,
} from '../domain/secret-box.js';
import type { RegistryCredentials } from '../engine/engine.js';
import { envSnapshotSchema } from '../schemas/env-var.js';
import { sqlOf, type Database } from './prisma-client.js';

export interface RunSecrets {
  /** The app's variables as of the trigger, secrets opened. */
  env: Record<string, string>;
  /** Everything to mask in the deployment's log. */
  secretValues: string[];
  /** The app's registry credentials, when they are for the registry of the image. */
  registryCredentials: RegistryCredentials | null;
}

/**
 * Opens what a claimed deployment runs with: the env snapshot taken at trigger time and the
 * app's current registry credentials. Only the worker does this, right before it runs the
 * containers. A value that does not open (wrong SLIPWAY_SECRET_KEY, altered data) fails the
 * deployment with a reason naming the value, and the error is thrown on: never run with garbage.
 */
export async function openRunSecrets(
  db: Database,
  secretKey: Buffer,
  deployment: { id: string; app: string; applicationId: string; image: string },
  sealedEnv: unknown,
): Promise<RunSecrets> {
  try {
    const env: Record<string, string> = {};
    const secretValues: string[] = [];
    for (const entry of envSnapshotSchema.parse(sealedEnv)) {
      if (!entry.secret) {
        env[entry.name] = entry.value;
        continue;
      }
      const value = open(
        secretKey,
        entry.sealedValue,
        envVarContext(deployment.applicationId, entry.name),
        `secret ${entry.name} of app "${deployment.app}"`,
      );
      env[entry.name] = value;
      secretValues.push(value);
    }
    // On the way to the first step of every deployment: plain pg (see sqlOf).
    const found = await sqlOf(db).query<{
      server: string;
      username: string;
      sealedPassword: string;
    }>(
      `SELECT server, username, sealed_password AS "sealedPassword"
       FROM registry_credentials WHERE application_id = $1`,
      [deployment.applicationId],
    );
    const stored = found.rows[0] ?? null;
    let registryCredentials: RegistryCredentials | null = null;
    if (stored !== null) {
      const password = open(
        secretKey,
        stored.sealedPassword,
        registryPasswordContext(deployment.applicationId),
        `the registry password of app "${deployment.app}"`,
      );
      secretValues.push(password);
      if (credentialsApplyTo(stored.server, deployment.image)) {
        registryCredentials = { server: stored.server, username: stored.username, password };
      }
    }
    return { env, secretValues, registryCredentials };
  } catch (error) {
    if (error instanceof SecretDecryptionError) {
      await db.deployment.updateMany({
        where: { id: deployment.id, status: 'running' },
        data: { status: 'failed', failureReason: error.message, finishedAt: new Date() },
      });
    }
    throw error;
  }
}
