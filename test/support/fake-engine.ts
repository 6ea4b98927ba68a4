/**
 * The engine seam implemented in memory, for the contract suite and the runner's unit tests.
 * Images are declared up front; release commands understand a tiny subset of sh that the real
 * engine runs the same way: `echo TEXT`, `echo TEXT >&2`, `sleep SECONDS`, `exit CODE`, joined
 * with `;`. Web candidates behave as their image says (ready, crashing, never ready).
 */
import { EngineError } from '../../src/engine/engine-error.js';
import type {
  Candidate,
  Engine,
  ImageInfo,
  OutputStream,
  ReadinessResult,
  TaskResult,
  TrafficRouter,
} from '../../src/engine/engine.js';

export interface FakeImage {
  exposedTcpPorts?: number[];
  labels?: Record<string, string>;
  /** How its web workload behaves: answers at once, exits at once (with output), or never answers. */
  web?: 'ready' | { exitCode: number; output: string } | 'never-ready';
}

interface FakeWorkload {
  ref: string;
  deploymentId: string;
  role: 'release' | 'web';
  state: 'running' | 'exited';
  exitCode: number | null;
  output: string;
  image: FakeImage;
  promoted: boolean;
  /** The set it is one replica of, when its release has several. */
  setRef?: string;
}

/** Everything the fake was asked to do, in order, for assertions on call order. */
export type FakeCall = { op: string; ref?: string; detail?: string };

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<boolean>((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

export function createFakeEngine(
  images: Record<string, FakeImage>,
  /** withRouter: the engine has a TrafficRouter (calls recorded as route / drain). */
  options: { withRouter?: boolean } = {},
) {
  const workloads = new Map<string, FakeWorkload>();
  /** Releases of several replicas: the set's ref → its members' refs, replica 1 first. */
  const sets = new Map<string, string[]>();
  /** The workloads a ref names that still exist (a set's members, or the one workload). */
  const membersOf = (ref: string): FakeWorkload[] =>
    (sets.get(ref) ?? [ref]).flatMap((member) => {
      const workload = workloads.get(member);
      return workload === undefined ? [] : [workload];
    });
  const removeRef = (ref: string) => {
    for (const member of sets.get(ref) ?? [ref]) workloads.delete(member);
  };
  const calls: FakeCall[] = [];
  let counter = 0;
  /** Faults to inject: an operation name → the error it throws next time. */
  const faults = new Map<string, { error: Error; times: number }>();

  const nextRef = () => `fake-${(counter += 1).toString().padStart(4, '0')}`;
  const take = (op: string) => {
    const fault = faults.get(op);
    if (fault !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) faults.delete(op);
      throw fault.error;
    }
  };
  const record = (op: string, ref?: string, detail?: string) => {
    calls.push({
      op,
      ...(ref === undefined ? {} : { ref }),
      ...(detail === undefined ? {} : { detail }),
    });
  };

  async function runScript(
    script: string,
    onOutput: (text: string, stream: OutputStream) => void,
    signal: AbortSignal,
    deadline: number,
  ): Promise<TaskResult> {
    for (const part of script.split(';').map((piece) => piece.trim())) {
      if (part === '' || part === 'true') continue;
      const echo = /^echo (.*?)( >&2)?$/.exec(part);
      if (echo !== null) {
        onOutput(`${echo[1] ?? ''}\n`, echo[2] === undefined ? 'stdout' : 'stderr');
        continue;
      }
      const pause = /^sleep (\d+(?:\.\d+)?)$/.exec(part);
      if (pause !== null) {
        const wanted = Number(pause[1]) * 1000;
        const allowed = Math.min(wanted, Math.max(0, deadline - Date.now()));
        if (!(await sleep(allowed, signal))) return { outcome: 'aborted' };
        if (allowed < wanted) return { outcome: 'timed-out' };
        continue;
      }
      const exit = /^exit (\d+)$/.exec(part);
      if (exit !== null) return { outcome: 'exited', exitCode: Number(exit[1]) };
      if (part === 'false') return { outcome: 'exited', exitCode: 1 };
      return { outcome: 'exited', exitCode: 127 };
    }
    return { outcome: 'exited', exitCode: 0 };
  }

  /** Endpoints each app's new requests go to, and those draining, as a real router keeps them. */
  const routes = new Map<string, { serving: string[]; draining: string[] }>();
  function createFakeRouter(): TrafficRouter {
    return {
      route(app, endpoints) {
        record('route', app, endpoints.join(','));
        take('route');
        const before = routes.get(app) ?? { serving: [], draining: [] };
        const leaving = before.serving.filter((e) => !endpoints.includes(e));
        const added = endpoints.filter((e) => !before.serving.includes(e)).length;
        routes.set(app, { serving: [...endpoints], draining: [...before.draining, ...leaving] });
        return Promise.resolve({ added, draining: leaving.length });
      },
      drain(app) {
        record('drain', app);
        take('drain');
        const current = routes.get(app);
        if (current !== undefined) current.draining = [];
        return Promise.resolve({ inFlightAtStart: 2, inFlightAtEnd: 0, elapsedMs: 5 });
      },
    };
  }

  const engine: Engine = {
    name: 'fake',
    images: {
      resolve(reference, { onLog }): Promise<ImageInfo> {
        record('resolve', undefined, reference);
        take('resolve');
        const image = images[reference];
        if (image === undefined) {
          return Promise.reject(new EngineError('IMAGE_NOT_FOUND', `image ${reference} not found`));
        }
        onLog(`resolved ${reference}`);
        return Promise.resolve({
          id: `fake-image:${reference}`,
          digest: null,
          exposedTcpPorts: image.exposedTcpPorts ?? [],
          labels: image.labels ?? {},
        });
      },
      inspect(imageId) {
        record('inspect', undefined, imageId);
        const image = images[imageId.replace(/^fake-image:/, '')];
        return Promise.resolve(
          image === undefined
            ? null
            : {
                id: imageId,
                digest: null,
                exposedTcpPorts: image.exposedTcpPorts ?? [],
                labels: image.labels ?? {},
              },
        );
      },
    },
    tasks: {
      async run(task, io) {
        take('run');
        const ref = nextRef();
        record('run', ref, task.command);
        const image = images[task.imageId.replace(/^fake-image:/, '')] ?? {};
        const workload: FakeWorkload = {
          ref,
          deploymentId: task.owner.deploymentId,
          role: 'release',
          state: 'running',
          exitCode: null,
          output: '',
          image,
          promoted: false,
        };
        workloads.set(ref, workload);
        try {
          return await runScript(task.command, io.onOutput, io.signal, Date.now() + task.timeoutMs);
        } finally {
          // Removed in every case, as the seam promises.
          workloads.delete(ref);
        }
      },
    },
    web: {
      start(spec): Promise<Candidate> {
        take('start');
        const count = Math.max(1, spec.replicas);
        const refs = Array.from({ length: count }, nextRef);
        const ref = count === 1 ? (refs[0] ?? '') : `fake-set:${refs.join('+')}`;
        record('start', ref);
        if (count > 1) sets.set(ref, refs);
        const image = images[spec.imageId.replace(/^fake-image:/, '')] ?? {};
        const behaviour = image.web ?? 'ready';
        for (const member of refs) {
          workloads.set(member, {
            ref: member,
            deploymentId: spec.owner.deploymentId,
            role: 'web',
            state: typeof behaviour === 'object' ? 'exited' : 'running',
            exitCode: typeof behaviour === 'object' ? behaviour.exitCode : null,
            output: typeof behaviour === 'object' ? behaviour.output : '',
            image,
            promoted: false,
            ...(count > 1 ? { setRef: ref } : {}),
          });
        }
        return Promise.resolve({
          ref,
          endpoints: refs.map((member) => `fake://${member}:${spec.port}`),
          description: `started ${ref}`,
        });
      },
      async waitUntilReady(candidate, check, io): Promise<ReadinessResult> {
        record('waitUntilReady', candidate.ref);
        take('waitUntilReady');
        const refs = sets.get(candidate.ref) ?? [candidate.ref];
        const of = refs.length;
        const index = refs.findIndex((member) => workloads.get(member)?.state !== 'running');
        if (index >= 0) {
          const workload = workloads.get(refs[index] ?? '');
          return {
            outcome: 'exited',
            attempts: 1,
            exitCode: workload?.exitCode ?? null,
            logTail: workload?.output ?? '',
            replica: index + 1,
            of,
          };
        }
        if (workloads.get(refs[0] ?? '')?.image.web === 'never-ready') {
          const within = check.settings.startupTimeoutSeconds * 1000;
          if (!(await sleep(within, io.signal))) return { outcome: 'aborted', attempts: 1 };
          return { outcome: 'timed-out', attempts: 1, replica: 1, of };
        }
        io.log('attempt 1: HTTP 200');
        return { outcome: 'ready', attempts: 1, elapsedMs: 0 };
      },
      promote(ref) {
        record('promote', ref);
        take('promote');
        for (const workload of membersOf(ref)) workload.promoted = true;
        return Promise.resolve();
      },
      abandon(ref) {
        record('abandon', ref);
        take('abandon');
        removeRef(ref);
        return Promise.resolve();
      },
      retire(ref) {
        record('retire', ref);
        take('retire');
        removeRef(ref);
        return Promise.resolve();
      },
      stop(ref) {
        record('stop', ref);
        const workload = workloads.get(ref);
        if (workload !== undefined) workload.state = 'exited';
        return Promise.resolve();
      },
      restart(ref, spec) {
        record('restart', ref);
        const workload = workloads.get(ref);
        if (workload === undefined) {
          return Promise.reject(new EngineError('ENGINE_ERROR', `no workload ${ref}`));
        }
        workload.state = 'running';
        workload.exitCode = null;
        return Promise.resolve({
          ref,
          endpoints: [`fake://${ref}:${spec.port}`],
          description: `restarted ${ref}`,
        });
      },
      health(ref) {
        const members = membersOf(ref);
        if (members.length === 0) return Promise.resolve('missing');
        const all = (sets.get(ref) ?? [ref]).length;
        const running = members.filter((w) => w.state === 'running').length;
        return Promise.resolve(running === all ? 'running' : 'exited');
      },
      revive(ref) {
        record('revive', ref);
        const members = membersOf(ref);
        if (members.length === 0)
          return Promise.reject(new EngineError('ENGINE_ERROR', `no workload ${ref}`));
        for (const workload of members) {
          workload.state = 'running';
          workload.exitCode = null;
        }
        return Promise.resolve();
      },
      describe: (ref) => {
        const members = sets.get(ref);
        return members === undefined
          ? `workload ${ref}`
          : `${members.length} workloads (${members.join(', ')})`;
      },
    },
    router: options.withRouter === true ? createFakeRouter() : null,
    inventory: {
      list(filter) {
        return Promise.resolve(
          [...workloads.values()]
            .filter((w) => filter === undefined || w.deploymentId === filter.deploymentId)
            .map((w) => ({
              ref: w.ref,
              deploymentId: w.deploymentId,
              ...(w.setRef === undefined ? {} : { setRef: w.setRef }),
            })),
        );
      },
      remove(ref) {
        record('remove', ref);
        workloads.delete(ref);
        return Promise.resolve();
      },
    },
  };

  return {
    engine,
    calls,
    workloads,
    routes,
    /** The next `times` calls of `op` throw `error` (default once). */
    failNext(
      op:
        | 'resolve'
        | 'run'
        | 'start'
        | 'waitUntilReady'
        | 'promote'
        | 'abandon'
        | 'retire'
        | 'route'
        | 'drain',
      error: Error,
      times = 1,
    ) {
      faults.set(op, { error, times });
    },
    /** Simulates a crash of a running workload (it exits with `exitCode`). */
    crash(ref: string, exitCode: number) {
      const workload = workloads.get(ref);
      if (workload !== undefined) {
        workload.state = 'exited';
        workload.exitCode = exitCode;
      }
    },
  };
}

export type FakeEngine = ReturnType<typeof createFakeEngine>;
