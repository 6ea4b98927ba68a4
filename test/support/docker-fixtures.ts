/**
 * Shared setup for tests that need the real Docker engine: runs scripts/ensure-docker.sh (engine,
 * local registries, fixture images) once per process, and names what it provides. Needs no
 * database. Call `ensureDockerFixtures()` from a `beforeAll` whose timeout is at least
 * ENSURE_DOCKER_TIMEOUT_MS.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { RegistryCredentials } from '../../src/engine/engine.js';

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-docker.sh', import.meta.url));

/** Cold, the script may install packages; warm, it takes well under a second. */
export const ENSURE_DOCKER_TIMEOUT_MS = 15 * 60_000;

/** Local images built by scripts/build-test-images.sh (see test/fixtures/images/). */
export const FIXTURE_IMAGES = {
  /**
   * Serves "slipway-test web v1" on :8080 (EXPOSE 8080); also /healthz, /cgi-bin/env and
   * /cgi-bin/slow (answers "slipway-test web v1 slow" after about 300 ms).
   */
  webV1: 'slipway-test/web:v1',
  webV2: 'slipway-test/web:v2',
  /** web:v1 and web:v2 under their own tags, for the ingress load tests (/cgi-bin/slow). */
  heldV1: 'slipway-test/web-held:v1',
  heldV2: 'slipway-test/web-held:v2',
  /** Listens only about 3 s after it starts. */
  webSlow: 'slipway-test/web-slow:latest',
  /** EXPOSEs 8080 and never listens. */
  webNever: 'slipway-test/web-never:latest',
  /** Accepts TCP on 8080 and never answers. */
  webHang: 'slipway-test/web-hang:latest',
  /** Prints four lines and exits with code 3 after about a second. */
  webCrash: 'slipway-test/web-crash:latest',
  /** Serves on 8080 without EXPOSE. */
  webNoExpose: 'slipway-test/web-noexpose:latest',
  /** Serves on 9090, EXPOSE 9090. */
  webPort9090: 'slipway-test/web-port-9090:latest',
  /** web:v1 plus an io.slipway.release-commands label running `echo image-declared-migration`. */
  webWithReleaseLabel: 'slipway-test/web-with-release-label:latest',
  /** Answers every request with HTTP 500 on 8080. */
  web500: 'slipway-test/web-500:latest',
  /** Runs as a user that does not exist: the engine creates it, then refuses to start it. */
  webUnstartable: 'slipway-test/web-unstartable:latest',
} as const;

/** The open local registry (no auth). */
export const TEST_REGISTRY = '127.0.0.1:5000';
/** The local registry that demands basic auth (TEST_AUTH_REGISTRY_CREDENTIALS). */
export const TEST_AUTH_REGISTRY = '127.0.0.1:5001';
export const TEST_AUTH_REGISTRY_CREDENTIALS: RegistryCredentials = {
  server: TEST_AUTH_REGISTRY,
  username: 'slipway',
  password: 'slipway-test-password',
};

/**
 * Images that are in a registry and, after ensure-docker.sh, not present locally under these
 * names. A test that needs a real pull should still `removeLocalImage` first: another test may
 * have pulled it.
 */
export const REGISTRY_IMAGES = {
  webV1: `${TEST_REGISTRY}/slipway-test/web:v1`,
  webV2: `${TEST_REGISTRY}/slipway-test/web:v2`,
  /** Exists only in the registry; its own layer is downloaded. EXPOSE 9000 80 53/udp 8443/tcp. */
  pullOnly: `${TEST_REGISTRY}/slipway-test/pull-only:v1`,
  /** web:v1 in the registry that demands credentials. */
  authWebV1: `${TEST_AUTH_REGISTRY}/slipway-test/web:v1`,
} as const;

let ensured: Promise<void> | undefined;

export function ensureDockerFixtures(): Promise<void> {
  ensured ??= runEnsureScript();
  return ensured;
}

function runEnsureScript(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [ENSURE_SCRIPT],
      { timeout: ENSURE_DOCKER_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve();
          return;
        }
        reject(
          new Error(`scripts/ensure-docker.sh failed: ${error.message}\n${stdout}\n${stderr}`, {
            cause: error,
          }),
        );
      },
    );
  });
}

/** Runs the docker CLI (bounded to 60 s) and returns its stdout; throws with stderr on failure. */
export function dockerCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(stdout);
        return;
      }
      reject(new Error(`docker ${args.join(' ')} failed: ${stderr.trim()}`, { cause: error }));
    });
  });
}

/** Removes a local image (tag) so the next pull of it goes to the registry; absent is fine. */
export async function removeLocalImage(reference: string): Promise<void> {
  const present = await dockerCli(['image', 'ls', '-q', reference]);
  if (present.trim() !== '') await dockerCli(['image', 'rm', reference]);
}

/** Ids of all containers, running or not, carrying label key=value. */
export async function containersWithLabel(key: string, value: string): Promise<string[]> {
  const output = await dockerCli(['ps', '-aq', '--no-trunc', '--filter', `label=${key}=${value}`]);
  return output.split('\n').filter((line) => line !== '');
}

/** Force-removes every container carrying label key=value, for cleanup after a failed test. */
export async function removeContainersWithLabel(key: string, value: string): Promise<void> {
  const ids = await containersWithLabel(key, value);
  if (ids.length > 0) await dockerCli(['rm', '-f', ...ids]);
}

/**
 * Builds `tag` from a Dockerfile given as text (no build context: FROM, LABEL, VOLUME, RUN…),
 * bounded to 120 s. For images a single test needs; remove them with removeLocalImage.
 */
export function buildImage(tag: string, dockerfile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // The legacy builder ships with every engine version; BuildKit needs buildx, which may be absent.
    const child = execFile(
      'docker',
      ['build', '-q', '-t', tag, '-'],
      { timeout: 120_000, env: { ...process.env, DOCKER_BUILDKIT: '0' } },
      (error, _stdout, stderr) => {
        if (error === null) {
          resolve();
          return;
        }
        reject(new Error(`docker build of ${tag} failed: ${stderr.trim()}`, { cause: error }));
      },
    );
    child.stdin?.end(dockerfile);
  });
}
