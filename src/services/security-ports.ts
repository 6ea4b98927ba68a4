/** Storage the access-control, env, registry-credential and audit services depend on. */
import type { AuditAction } from '../domain/audit.js';
import type { EnvSnapshot } from '../schemas/env-var.js';

export interface StoredToken {
  id: string;
  name: string;
  scope: 'admin' | 'deploy';
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** The apps a deploy token is limited to, by id and current name. */
  apps: { id: string; name: string }[];
}

export interface TokenRepository {
  create(input: {
    name: string;
    scope: 'admin' | 'deploy';
    hash: string;
    displayPrefix: string;
    applicationIds: string[];
  }): Promise<StoredToken>;
  /** Oldest first. */
  list(): Promise<StoredToken[]>;
  findByHash(hash: string): Promise<StoredToken | null>;
  /** Sets lastUsedAt to `at` unless it is already `unlessSince` or later (no read needed). */
  touch(id: string, at: Date, unlessSince: Date): Promise<void>;
  delete(id: string): Promise<boolean>;
}

/** Look-ups that decide which application a request acts on. */
export interface AccessRepository {
  /** Ids of the named apps that exist (names not found are left out). */
  applicationIdsByName(names: readonly string[]): Promise<Map<string, string>>;
  applicationOfDeployment(deploymentId: string): Promise<{ id: string; name: string } | null>;
}

export interface StoredEnvVar {
  name: string;
  secret: boolean;
  /** Plain value of a non-secret variable; null for secrets. */
  value: string | null;
  /** Sealed value of a secret; null otherwise. */
  sealedValue: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type EnvVarValue = { secret: false; value: string } | { secret: true; sealedValue: string };

export interface EnvVarRepository {
  /** Sorted by name. */
  list(applicationId: string): Promise<StoredEnvVar[]>;
  /**
   * Creates or replaces a variable under the app's lock; `assertCanAdd` sees the current count
   * when the name is new and may throw.
   */
  put(
    applicationId: string,
    name: string,
    value: EnvVarValue,
    assertCanAdd: (currentCount: number) => void,
  ): Promise<{ envVar: StoredEnvVar; created: boolean }>;
  delete(applicationId: string, name: string): Promise<boolean>;
  /** The app's variables as they are now, secrets still sealed. */
  snapshot(applicationId: string): Promise<EnvSnapshot>;
}

export interface StoredRegistryCredentials {
  server: string;
  username: string;
  sealedPassword: string;
  updatedAt: Date;
}

export interface RegistryCredentialRepository {
  find(applicationId: string): Promise<StoredRegistryCredentials | null>;
  put(
    applicationId: string,
    input: { server: string; username: string; sealedPassword: string },
  ): Promise<StoredRegistryCredentials>;
  delete(applicationId: string): Promise<boolean>;
}

export interface NewAuditEvent {
  actor: { tokenId: string | null; name: string };
  action: AuditAction;
  applicationId: string | null;
  app: string | null;
  target: Record<string, string>;
  details: Record<string, unknown>;
  address: string;
  requestId: string;
  clientRequestId: string | null;
}

export interface StoredAuditEvent extends Omit<NewAuditEvent, 'action'> {
  id: bigint;
  /** A string rather than AuditAction: entries outlive renamed or retired actions. */
  action: string;
  occurredAt: Date;
}

export interface AuditRepository {
  /** Newest first; `applicationId` undefined means every entry. */
  list(options: {
    applicationId: string | undefined;
    limit: number;
    beforeId: bigint | undefined;
  }): Promise<StoredAuditEvent[]>;
}
