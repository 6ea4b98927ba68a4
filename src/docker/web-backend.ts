/**
 * The WebBackend on Docker: a release is one web container per replica, each published on its
 * own 127.0.0.1 port, named together by one workload ref (web-set.ts).
 */
import { isIP } from 'node:net';
import type { CandidateSpec, ReadinessResult, WebBackend } from '../engine/engine.js';
import { EngineError } from '../engine/engine-error.js';
import { probeOnce } from '../engine/http-probe.js';
import { runStartupProbe } from '../engine/http-readiness.js';
import { containerLabels, labelKeys } from './container-labels.js';
import type { DockerEngineOptions } from './docker-engine.js';
import type { DockerOperations } from './docker-operations.js';
import type { StartedContainer } from './runtime-types.js';
import {
  allOrFirstError,
  expectedCount,
  parseWebSetRef,
  setMembers,
  webSetRef,
  type SetMember,
} from './web-set.js';

/** Lines of a crashed web container's output shown in the probe step's log. */
const CRASH_LOG_LINES = 50;

type Gate = Parameters<WebBackend['waitUntilReady']>;

export function createWebBackend(
  docker: DockerOperations,
  options: DockerEngineOptions,
): WebBackend {
  /** Container ids of the sets this process started or looked up, for describe(). */
  const known = new Map<string, string[]>();
  const members = async (ref: string): Promise<SetMember[]> => {
    const found = await setMembers(docker, options.instance, ref);
    if (found.length > 0)
      known.set(
        ref,
        found.map((member) => member.id),
      );
    return found;
  };
  const removeAll = async (ref: string, stopTimeoutSeconds?: number) => {
    await allOrFirstError(await members(ref), (member) =>
      docker.removeContainer(member.id, stopTimeoutSeconds),
    );
  };

  function describe(ref: string): string {
    const set = parseWebSetRef(ref);
    if (set === null) return `container ${ref.slice(0, 12)}`;
    const ids = known.get(ref);
    return ids === undefined
      ? `${set.count} containers of deployment ${set.deploymentId.slice(0, 8)}`
      : `${set.count} containers (${ids.map((id) => `${id.slice(0, 8)}…`).join(', ')})`;
  }

  return {
    async start(spec) {
      const started = await startReplicas(docker, options, spec);
      const ref =
        spec.replicas > 1
          ? webSetRef(spec.owner.deploymentId, spec.replicas)
          : started[0]?.containerId;
      if (ref === undefined) throw new EngineError('ENGINE_ERROR', 'no web container was started');
      known.set(
        ref,
        started.map((container) => container.containerId),
      );
      const where = started.map((container) => `127.0.0.1:${container.hostPort}`).join(', ');
      const endpoints = await Promise.all(
        started.map((container) =>
          endpointOf(docker, options, container.containerId, container.hostPort, spec.port),
        ),
      ).catch(async (error: unknown) => {
        // Started but unreachable for the ingress: not a candidate; nothing may be left behind.
        await removeAll(ref);
        throw error;
      });
      const reached =
        endpoints[0]?.startsWith('http://127.0.0.1:') === true
          ? ''
          : ` (reached at ${endpoints.join(', ')} on network ${options.network ?? 'bridge'})`;
      return {
        ref,
        endpoints,
        description: `started ${describe(ref)}, port ${spec.port} published on ${where}${reached}`,
      };
    },

    async waitUntilReady(candidate, check, io) {
      const found = await members(candidate.ref);
      const replicas = candidate.endpoints.map((endpoint, index) => ({
        endpoint,
        id: found.find((member) => member.replica === index + 1)?.id ?? found[index]?.id ?? null,
      }));
      return gateAll(docker, options, replicas, check, io);
    },

    async promote(ref) {
      await allOrFirstError(await members(ref), (member) => docker.keepRunning(member.id));
    },
    abandon: (ref) => removeAll(ref),
    retire: (ref, { stopTimeoutSeconds }) => removeAll(ref, stopTimeoutSeconds),
    async stop(ref, { stopTimeoutSeconds }) {
      await allOrFirstError(await members(ref), (member) =>
        docker.stopContainer(member.id, stopTimeoutSeconds),
      );
    },
    async restart(ref, spec) {
      const found = [...(await members(ref))].sort((a, b) => a.replica - b.replica);
      if (found.length === 0) {
        throw new EngineError('ENGINE_ERROR', `the retained ${describe(ref)} is gone`);
      }
      const endpoints = await Promise.all(
        found.map(async (member) => {
          const hostPort =
            options.network === 'host'
              ? (await docker.startContainer(member.id), spec.port)
              : await docker.restartWebContainer(member.id, spec.port);
          return endpointOf(docker, options, member.id, hostPort, spec.port);
        }),
      );
      return {
        ref,
        endpoints,
        description: `restarted retained ${describe(ref)}, port ${spec.port} answering at ${endpoints.join(', ')}`,
      };
    },
    async health(ref) {
      const found = await members(ref);
      if (found.length === 0) return 'missing';
      const states = await Promise.all(found.map((member) => docker.containerState(member.id)));
      const running = states.filter((state) => state?.running === true).length;
      return running === expectedCount(ref) ? 'running' : 'exited';
    },
    async revive(ref) {
      const found = await members(ref);
      await allOrFirstError(found, async (member) => {
        const state = await docker.containerState(member.id);
        if (state !== null && !state.running) await docker.startContainer(member.id);
      });
    },
    describe,
  };
}

/**
 * Where a web container answers, as Slipway and the ingress reach it: its published 127.0.0.1
 * port, or with `endpoint: 'network'` (HAProxy in a container) its IP on DEPLOY_NETWORK.
 */
async function endpointOf(
  docker: DockerOperations,
  options: DockerEngineOptions,
  containerId: string,
  hostPort: number,
  containerPort: number,
): Promise<string> {
  const network = options.network;
  if (options.endpoint !== 'network' || network === undefined || network === 'host') {
    return `http://127.0.0.1:${hostPort}`;
  }
  const ip = await docker.networkAddress(containerId, network);
  return isIP(ip) === 6 ? `http://[${ip}]:${containerPort}` : `http://${ip}:${containerPort}`;
}

/** Starts every replica side by side; if one fails, removes the others and throws its error. */
async function startReplicas(
  docker: DockerOperations,
  options: DockerEngineOptions,
  spec: CandidateSpec,
): Promise<StartedContainer[]> {
  const count = Math.max(1, spec.replicas);
  const baseName = `slipway-${spec.owner.app}-${spec.owner.deploymentId.slice(0, 8)}`;
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, index) =>
      docker.startWebContainer({
        image: spec.imageId,
        // A release of one keeps the name it always had.
        name: count === 1 ? baseName : `${baseName}-${index + 1}`,
        labels: {
          ...containerLabels({
            instance: options.instance,
            app: spec.owner.app,
            deploymentId: spec.owner.deploymentId,
            role: 'web',
          }),
          [labelKeys.replica]: String(index + 1),
          [labelKeys.replicas]: String(count),
        },
        env: spec.env,
        containerPort: spec.port,
        network: options.network,
        resources: spec.resources,
      }),
    ),
  );
  const started = results.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const index = results.findIndex((result) => result.status === 'rejected');
  const failed = results[index];
  if (failed === undefined || failed.status === 'fulfilled') return started;
  await allOrFirstError(started, (container) => docker.removeContainer(container.containerId));
  const reason: unknown = failed.reason;
  if (count === 1) throw reason;
  const message = reason instanceof Error ? reason.message : String(reason);
  throw new EngineError(
    reason instanceof EngineError ? reason.code : 'ENGINE_ERROR',
    `replica ${index + 1} of ${count}: ${message} (the ${started.length} started were removed)`,
    { cause: reason },
  );
}

/**
 * Gates every replica side by side; the first that fails stops the others' probes, and its
 * outcome (with its replica number) is the candidate's.
 */
async function gateAll(
  docker: DockerOperations,
  options: DockerEngineOptions,
  replicas: { endpoint: string; id: string | null }[],
  check: Gate[1],
  io: Gate[2],
): Promise<ReadinessResult> {
  const stop = new AbortController();
  const forward = () => {
    stop.abort();
  };
  if (io.signal.aborted) stop.abort();
  io.signal.addEventListener('abort', forward, { once: true });
  // Held in an object: it is set from the probes' callbacks.
  const first: { failure: ReadinessResult | null } = { failure: null };
  try {
    const results = await Promise.allSettled(
      replicas.map(async (replica, index) => {
        const prefix = replicas.length === 1 ? '' : `replica ${index + 1}: `;
        const result = await gateOne(docker, options, replica, check, {
          log: (line) => {
            io.log(`${prefix}${line}`);
          },
          signal: stop.signal,
        });
        if (first.failure === null && result.outcome !== 'ready' && result.outcome !== 'aborted') {
          first.failure = { ...result, replica: index + 1, of: replicas.length };
          stop.abort();
        }
        return result;
      }),
    );
    const thrown = results.find((result) => result.status === 'rejected');
    if (thrown !== undefined) throw thrown.reason;
    if (first.failure !== null) return first.failure;
    const done = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const ready = done.flatMap((result) => (result.outcome === 'ready' ? [result] : []));
    const attempts = Math.max(0, ...done.map((result) => result.attempts));
    if (ready.length < replicas.length) return { outcome: 'aborted', attempts };
    return {
      outcome: 'ready',
      attempts,
      elapsedMs: Math.max(0, ...ready.map((result) => result.elapsedMs)),
    };
  } finally {
    io.signal.removeEventListener('abort', forward);
    stop.abort();
  }
}

type OneResult =
  | { outcome: 'ready'; attempts: number; elapsedMs: number }
  | { outcome: 'timed-out'; attempts: number }
  | { outcome: 'retries-exhausted'; attempts: number }
  | { outcome: 'aborted'; attempts: number }
  | { outcome: 'exited'; attempts: number; exitCode: number | null; logTail: string };

async function gateOne(
  docker: DockerOperations,
  options: DockerEngineOptions,
  replica: { endpoint: string; id: string | null },
  check: Gate[1],
  io: Gate[2],
): Promise<OneResult> {
  const { id } = replica;
  if (id === null) return { outcome: 'exited', attempts: 0, exitCode: null, logTail: '' };
  const result = await runStartupProbe({
    url: `${replica.endpoint}${check.path}`,
    settings: check.settings,
    attempt: (url, timeoutMs) => (options.probeAttempt ?? probeOnce)(url, timeoutMs, check.host),
    host: check.host,
    containerState: () => docker.containerState(id),
    log: io.log,
    signal: io.signal,
  });
  switch (result.outcome) {
    case 'ready':
      return { outcome: 'ready', attempts: result.attempts, elapsedMs: result.elapsedMs };
    case 'container-exited': {
      const tail = await docker
        .logTail(id, CRASH_LOG_LINES)
        .catch(
          (error: unknown) =>
            `(could not read its logs: ${error instanceof Error ? error.message : String(error)})`,
        );
      return {
        outcome: 'exited',
        attempts: result.attempts,
        exitCode: result.exitCode,
        logTail: tail,
      };
    }
    case 'timed-out':
    case 'retries-exhausted':
    case 'aborted':
      return { outcome: result.outcome, attempts: result.attempts };
  }
}
