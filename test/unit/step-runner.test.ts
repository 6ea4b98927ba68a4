/**
 * The runner's semantics against the in-memory engine and stores, without Docker: plan order,
 * preflight before anything changes, the commit point, undo order, cancel, deadline and drain.
 */
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { EngineError } from '../../src/engine/engine-error.js';
import { createLogWriter } from '../../src/pipeline/log-writer.js';
import { envFingerprint } from '../../src/pipeline/env-fingerprint.js';
import { runDeployment } from '../../src/pipeline/run-deployment.js';
import type { DeploymentContext, Step } from '../../src/pipeline/step.js';
import { runPlan } from '../../src/pipeline/step-runner.js';
import type { StopControl, StopReason } from '../../src/pipeline/stop-reason.js';
import { createFakeEngine, type FakeImage } from '../support/fake-engine.js';
import { claimedDeployment, createMemoryStores } from '../support/memory-deployment-store.js';

const logger = pino({ level: 'silent' });

const images: Record<string, FakeImage> = {
  'web:1': { exposedTcpPorts: [8080] },
  'crash:1': { exposedTcpPorts: [8080], web: { exitCode: 3, output: 'boom\n' } },
  'never:1': { exposedTcpPorts: [8080], web: 'never-ready' },
  'noport:1': {},
  'declares:1': {
    exposedTcpPorts: [8080],
    labels: {
      'io.slipway.release-commands': JSON.stringify([{ label: 'from image', command: 'echo img' }]),
    },
  },
};

function control(
  options: { stopAfterMs?: number; reason?: StopReason; drain?: () => boolean } = {},
) {
  const controller = new AbortController();
  if (options.stopAfterMs !== undefined) {
    setTimeout(() => {
      controller.abort(options.reason ?? { kind: 'cancel' });
    }, options.stopAfterMs);
  }
  const stop: StopControl = {
    signal: controller.signal,
    stopRequested: () => (options.drain?.() === true ? { kind: 'shutdown' } : null),
  };
  return { stop, controller };
}

function setup(
  commands: { label: string; command: string; timeoutSeconds?: number }[] = [],
  image = 'web:1',
  engineOptions: { withRouter?: boolean } = {},
  replicas = 1,
) {
  const fake = createFakeEngine(images, engineOptions);
  const stores = createMemoryStores();
  const defaults = claimedDeployment().settings;
  const deployment = claimedDeployment({
    image,
    settings: {
      ...defaults,
      releaseCommands: commands.map((c) => ({ timeoutSeconds: 60, ...c })),
      webContainer: { ...defaults.webContainer, replicas },
    },
  });
  const run = (stop: StopControl = control().stop) =>
    runDeployment(
      deployment,
      {
        store: stores.store,
        logs: stores.logs,
        engine: fake.engine,
        logger,
        logLimits: { flushIntervalMs: 5 },
      },
      stop,
    );
  const summary = () => stores.steps(deployment.id).map((s) => `${s.kind}:${s.status}`);
  return { fake, stores, deployment, run, summary };
}

const ops = (fake: ReturnType<typeof createFakeEngine>) => fake.calls.map((call) => call.op);

describe('the step runner', () => {
  test('runs the plan in order and commits at activate', async () => {
    const t = setup([{ label: 'migrate', command: 'echo migrated' }]);
    expect(await t.run()).toBe('succeeded');
    expect(t.summary()).toEqual([
      'pull:succeeded',
      'release_command:succeeded',
      'start:succeeded',
      'probe:succeeded',
      'activate:succeeded',
      'route:succeeded',
      'retire:succeeded',
    ]);
    expect(ops(t.fake)).toEqual(['resolve', 'run', 'start', 'waitUntilReady', 'promote']);
    expect(t.stores.steps(t.deployment.id)[1]?.exitCode).toBe(0);
    expect(t.stores.releases.get('app-1')?.workloadRef).toBe('fake-0002');
    expect(t.stores.finished.get('d1')).toEqual({ status: 'succeeded', reason: null });
    expect(t.stores.logText('d1')).toContain('migrated\n');
  });

  test("puts the image's own release commands right after the pull, before the app's", async () => {
    const t = setup([{ label: 'app one', command: 'echo app' }], 'declares:1');
    expect(await t.run()).toBe('succeeded');
    const steps = t.stores.steps('d1').map((s) => `${s.label}:${s.source ?? '-'}`);
    expect(steps).toEqual([
      'pull declares:1:-',
      'from image:image',
      'app one:app',
      'start web container:-',
      'startup probe:-',
      'activate release:-',
      'switch traffic:-',
      'retire previous release:-',
    ]);
  });

  test('a failing release command stops the plan; nothing after it starts', async () => {
    const t = setup([
      { label: 'migrate', command: 'exit 3' },
      { label: 'never', command: 'echo no' },
    ]);
    expect(await t.run()).toBe('failed');
    expect(t.summary()).toEqual([
      'pull:succeeded',
      'release_command:failed',
      'release_command:skipped',
      'start:skipped',
      'probe:skipped',
      'activate:skipped',
      'route:skipped',
      'retire:skipped',
    ]);
    expect(t.stores.finished.get('d1')?.reason).toBe(
      "release command 'migrate' exited with code 3",
    );
    expect(ops(t.fake)).toEqual(['resolve', 'run']);
  });

  test('preflight: without a web port the start step fails before any release command runs', async () => {
    const t = setup([{ label: 'migrate', command: 'echo x' }], 'noport:1');
    expect(await t.run()).toBe('failed');
    expect(t.summary()).toEqual([
      'pull:succeeded',
      'release_command:skipped',
      'start:failed',
      'probe:skipped',
      'activate:skipped',
      'route:skipped',
      'retire:skipped',
    ]);
    expect(ops(t.fake)).toEqual(['resolve']);
    expect(t.stores.finished.get('d1')?.reason).toMatch(/^no web port/);
  });

  test('a probe failure undoes the start (the candidate is abandoned), the release stays as it was', async () => {
    const t = setup([], 'crash:1');
    expect(await t.run()).toBe('failed');
    expect(ops(t.fake)).toEqual(['resolve', 'start', 'waitUntilReady', 'abandon']);
    expect(t.stores.releases.size).toBe(0);
    expect(t.stores.finished.get('d1')?.reason).toBe(
      'web container exited with code 3 while being probed',
    );
    expect(t.stores.logText('d1')).toContain('removed 1 container(s) of this deployment');
  });

  test('an engine error is the reason as the engine put it', async () => {
    const t = setup();
    t.fake.failNext(
      'start',
      new EngineError('ENGINE_ERROR', 'creating web container: no space left'),
    );
    expect(await t.run()).toBe('failed');
    expect(t.stores.finished.get('d1')?.reason).toBe(
      'start web container failed: creating web container: no space left',
    );
  });

  test('an unexpected error never puts its text (driver details) into the reason', async () => {
    const t = setup();
    t.fake.failNext('promote', new Error("Can't reach database server at 10.0.0.1:5432"));
    expect(await t.run()).toBe('failed');
    const reason = t.stores.finished.get('d1')?.reason ?? '';
    expect(reason).toBe('activate release failed: internal error');
    expect(ops(t.fake)).toContain('abandon');
  });

  test('a step whose outcome cannot be stored waits for the database, then goes on', async () => {
    const t = setup([{ label: 'migrate', command: 'echo done' }]);
    // The first finishStep is the pull's; the second, the release command's, fails once.
    let calls = 0;
    const original = t.stores.store.finishStep.bind(t.stores.store);
    t.stores.store.finishStep = (id, outcome) => {
      calls += 1;
      if (calls === 2) return Promise.reject(new Error("Can't reach database server at 10.0.0.1"));
      return original(id, outcome);
    };
    expect(await t.run()).toBe('succeeded');
    expect(t.stores.steps('d1')[1]).toMatchObject({ status: 'succeeded', exitCode: 0 });
  });

  test('a finished step is never recorded as failed because storage stayed away', async () => {
    const t = setup([{ label: 'migrate', command: 'echo done' }]);
    let calls = 0;
    const original = t.stores.store.finishStep.bind(t.stores.store);
    t.stores.store.finishStep = (id, outcome) => {
      calls += 1;
      if (calls >= 2) return Promise.reject(new Error("Can't reach database server at 10.0.0.1"));
      return original(id, outcome);
    };
    const { stop } = control({ stopAfterMs: 300, reason: { kind: 'deadline', seconds: 5 } });
    expect(await t.run(stop)).toBe('failed');
    const reason = t.stores.finished.get('d1')?.reason ?? '';
    expect(reason).toBe(
      'migrate succeeded, but its outcome could not be stored (storage unavailable)',
    );
    expect(reason).not.toContain('10.0.0.1');
    // Never written as failed: the last outcome stored for it is none (it stays as it was).
    expect(t.stores.steps('d1')[1]?.status).toBe('running');
  });

  test('a commit whose outcome cannot be stored still stands: the live candidate is never undone', async () => {
    const t = setup();
    let calls = 0;
    const original = t.stores.store.finishStep.bind(t.stores.store);
    // pull, start and probe are stored; activate's outcome is not.
    t.stores.store.finishStep = (id, outcome) => {
      calls += 1;
      if (calls >= 4) return Promise.reject(new Error('database unreachable'));
      return original(id, outcome);
    };
    const { stop } = control({ stopAfterMs: 300, reason: { kind: 'deadline', seconds: 5 } });
    expect(await t.run(stop)).toBe('succeeded');
    expect(t.stores.releases.get('app-1')?.workloadRef).toBe('fake-0001');
    expect(ops(t.fake)).not.toContain('abandon');
    expect(await t.fake.engine.web.health('fake-0001')).toBe('running');
  });

  test.each([
    [
      'during a release command',
      [{ label: 'slow', command: 'sleep 30' }],
      'web:1',
      "cancelled during release command 'slow'",
    ],
    ['during the probe', [], 'never:1', 'cancelled during the startup probe'],
  ])('a cancel %s stops at once and undoes what ran', async (_when, commands, image, reason) => {
    const t = setup(commands, image);
    const { stop } = control({ stopAfterMs: 50 });
    expect(await t.run(stop)).toBe('cancelled');
    expect(t.stores.finished.get('d1')).toEqual({ status: 'cancelled', reason });
    expect(t.stores.releases.size).toBe(0);
    expect(await t.fake.engine.inventory.list()).toEqual([]);
  });

  test('a cancel that arrived between steps means the next step never starts', async () => {
    const t = setup([{ label: 'migrate', command: 'echo x' }]);
    const { stop, controller } = control();
    controller.abort({ kind: 'cancel' });
    expect(await t.run(stop)).toBe('cancelled');
    expect(t.summary()[0]).toBe('pull:skipped');
    expect(t.stores.finished.get('d1')?.reason).toBe('cancelled before pull web:1');
  });

  test('the deadline fails the deployment, naming the step it struck in', async () => {
    const t = setup([{ label: 'slow', command: 'sleep 30' }]);
    const { stop } = control({ stopAfterMs: 50, reason: { kind: 'deadline', seconds: 5 } });
    expect(await t.run(stop)).toBe('failed');
    expect(t.stores.finished.get('d1')?.reason).toBe(
      "exceeded the deployment deadline of 5 s during release command 'slow'",
    );
  });

  test('a drain lets the running step finish, starts no other, and undoes the start', async () => {
    const t = setup();
    let draining = false;
    const original = t.fake.engine.web.start.bind(t.fake.engine.web);
    t.fake.engine.web.start = async (spec) => {
      const candidate = await original(spec);
      draining = true;
      return candidate;
    };
    const { stop } = control({ drain: () => draining });
    expect(await t.run(stop)).toBe('failed');
    expect(t.summary()).toEqual([
      'pull:succeeded',
      'start:succeeded',
      'probe:skipped',
      'activate:skipped',
      'route:skipped',
      'retire:skipped',
    ]);
    expect(t.stores.finished.get('d1')?.reason).toBe('worker shut down before startup probe');
    expect(ops(t.fake)).toEqual(['resolve', 'start', 'abandon']);
  });
});

/** A context as run-deployment.ts builds it, before any step ran. */
function emptyContext(
  deployment: ReturnType<typeof claimedDeployment>,
  fake: ReturnType<typeof createFakeEngine>,
  stores: ReturnType<typeof createMemoryStores>,
): DeploymentContext {
  return {
    deployment,
    engine: fake.engine,
    store: stores.store,
    metrics: undefined,
    env: {},
    image: null,
    webPort: null,
    candidate: null,
    previousRelease: null,
  };
}

describe('runPlan: commit point and undo order', () => {
  function plainStep(name: string, trace: string[], extra: Partial<Step> = {}): Step {
    return {
      kind: 'release_command',
      label: name,
      source: 'app',
      command: name,
      run: () => {
        trace.push(`run ${name}`);
        return Promise.resolve(undefined);
      },
      undo: () => {
        trace.push(`undo ${name}`);
        return Promise.resolve({ removedWorkloads: 0 });
      },
      ...extra,
    };
  }

  function failing(name: string, trace: string[]): Step {
    return plainStep(name, trace, {
      run: () => {
        trace.push(`run ${name}`);
        return Promise.reject(new Error('boom'));
      },
    });
  }

  async function run(plan: Step[]) {
    const fake = createFakeEngine(images);
    const stores = createMemoryStores();
    const deployment = claimedDeployment();
    const context = emptyContext(deployment, fake, stores);
    const log = createLogWriter({
      deploymentId: deployment.id,
      store: stores.logs,
      onFlushError: () => undefined,
    });
    const result = await runPlan(plan, context, {
      store: stores.store,
      log,
      logger,
      control: control().stop,
    });
    await log.close();
    return { result, stores };
  }

  test('a failure before the commit point undoes the steps that ran, newest first', async () => {
    const trace: string[] = [];
    const { result } = await run([
      plainStep('a', trace),
      plainStep('b', trace),
      failing('c', trace),
    ]);
    expect(result.outcome).toBe('failed');
    // The failed step itself has nothing to undo: it did not finish.
    expect(trace).toEqual(['run a', 'run b', 'run c', 'undo b', 'undo a']);
  });

  test('after the commit point nothing is undone and the deployment stands', async () => {
    const trace: string[] = [];
    const { result, stores } = await run([
      plainStep('a', trace),
      plainStep('commit', trace, { commits: true }),
      failing('after', trace),
    ]);
    expect(result.outcome).toBe('succeeded');
    expect(trace).toEqual(['run a', 'run commit', 'run after']);
    expect(stores.logText('d1')).toContain(
      'warning: the release is live, but after failed: internal error',
    );
  });

  test('after the commit point a stop no longer interrupts the remaining steps', async () => {
    const trace: string[] = [];
    const fake = createFakeEngine(images);
    const stores = createMemoryStores();
    const { stop, controller } = control();
    const deployment = claimedDeployment();
    const context = emptyContext(deployment, fake, stores);
    const log = createLogWriter({
      deploymentId: 'd1',
      store: stores.logs,
      onFlushError: () => undefined,
    });
    const result = await runPlan(
      [
        plainStep('commit', trace, {
          commits: true,
          run: () => {
            trace.push('run commit');
            controller.abort({ kind: 'cancel' });
            return Promise.resolve(undefined);
          },
        }),
        plainStep('after', trace, {
          run: (_context, io) => {
            trace.push(`after sees aborted=${String(io.signal.aborted)}`);
            return Promise.resolve(undefined);
          },
        }),
      ],
      context,
      { store: stores.store, log, logger, control: stop },
    );
    await log.close();
    expect(result.outcome).toBe('succeeded');
    expect(trace).toEqual(['run commit', 'after sees aborted=false']);
  });
});

describe('route and retire, after the commit point', () => {
  /** A live release of app-1 before the deployment under test runs. */
  function withPreviousRelease(t: ReturnType<typeof setup>) {
    t.fake.workloads.set('old-web', {
      ref: 'old-web',
      deploymentId: 'd0',
      role: 'web',
      state: 'running',
      exitCode: null,
      output: '',
      image: {},
      promoted: true,
    });
    t.stores.releases.set('app-1', {
      deploymentId: 'd0',
      applicationId: 'app-1',
      image: 'web:0',
      imageId: 'sha256:old',
      engine: 'fake',
      workloadRef: 'old-web',
      envFingerprint: null,
      endpoints: ['http://old'],
      webPort: 8080,
    });
  }

  test('switches to the new release, drains the old one, then retires it', async () => {
    const t = setup([], 'web:1', { withRouter: true });
    withPreviousRelease(t);
    expect(await t.run()).toBe('succeeded');
    expect(ops(t.fake)).toEqual([
      'resolve',
      'start',
      'waitUntilReady',
      'promote',
      'route',
      'drain',
      'stop',
    ]);
    expect(t.fake.calls.find((c) => c.op === 'route')).toEqual({
      op: 'route',
      ref: 'app-1',
      detail: 'fake://fake-0001:8080',
    });
    // retainReleases 2 (the default): stopped and kept for a rollback.
    expect(t.fake.calls.find((c) => c.op === 'stop')?.ref).toBe('old-web');
    expect(t.stores.retained.get('d0')?.workloadRef).toBe('old-web');
    const log = t.stores.logText('d1');
    expect(log).toMatch(/switched app shop \(no hostname yet\) to release d1 in \d+ ms/);
    expect(log).toContain('drained 2 in-flight request(s) in 5 ms');
    expect(log).toContain('stopped previous release d0 (workload old-web)');
    expect(log).toContain('kept for a rollback');
  });

  test('3 replicas: one set is started, committed with all endpoints, and routed at once', async () => {
    const t = setup([], 'web:1', { withRouter: true }, 3);
    withPreviousRelease(t);
    expect(await t.run()).toBe('succeeded');
    const endpoints = ['fake://fake-0001:8080', 'fake://fake-0002:8080', 'fake://fake-0003:8080'];
    expect(t.fake.calls.filter((c) => c.op === 'route')).toEqual([
      { op: 'route', ref: 'app-1', detail: endpoints.join(',') },
    ]);
    expect(t.stores.releases.get('app-1')).toMatchObject({
      workloadRef: 'fake-set:fake-0001+fake-0002+fake-0003',
      endpoints,
    });
    expect(t.fake.calls.find((c) => c.op === 'stop')?.ref).toBe('old-web');
    expect(t.stores.logText('d1')).toContain('(3 endpoint(s) added, 0 draining)');
  });

  test('3 replicas of a crashing image: the probe names the replica, all three are removed', async () => {
    const t = setup([], 'crash:1', {}, 3);
    expect(await t.run()).toBe('failed');
    const probe = t.stores.steps(t.deployment.id).find((s) => s.kind === 'probe');
    expect(probe?.error).toMatch(/^replica 1 of 3: web container exited with code 3/);
    expect([...t.fake.workloads.keys()]).toEqual([]);
  });

  test('a switch that keeps failing is reported on the route step; nothing is undone', async () => {
    const t = setup([], 'web:1', { withRouter: true });
    withPreviousRelease(t);
    t.fake.failNext('route', new EngineError('ENGINE_ERROR', 'admin socket refused'), 3);
    expect(await t.run()).toBe('succeeded');
    expect(t.summary().slice(-3)).toEqual(['activate:succeeded', 'route:failed', 'retire:skipped']);
    expect(ops(t.fake).filter((op) => op === 'route')).toHaveLength(3);
    // The new release stays live and running; the old one is left for the reconciler.
    expect(ops(t.fake)).not.toContain('abandon');
    expect(ops(t.fake)).not.toContain('retire');
    expect(t.stores.releases.get('app-1')?.workloadRef).toBe('fake-0001');
    expect(t.fake.workloads.get('fake-0001')?.state).toBe('running');
    const log = t.stores.logText('d1');
    expect(log).toContain('switch attempt 1 failed (admin socket refused); retrying');
    expect(log).toContain('warning: the release is live, but switch traffic failed');
  });

  test('a switch that fails once is retried and succeeds', async () => {
    const t = setup([], 'web:1', { withRouter: true });
    t.fake.failNext('route', new EngineError('ENGINE_ERROR', 'busy'));
    expect(await t.run()).toBe('succeeded');
    expect(t.summary().slice(-2)).toEqual(['route:succeeded', 'retire:succeeded']);
    expect(t.stores.logText('d1')).toContain('no previous release to retire');
  });

  test('without a router the route step says where the release answers and retire still stops the old one', async () => {
    const t = setup();
    withPreviousRelease(t);
    expect(await t.run()).toBe('succeeded');
    expect(ops(t.fake)).not.toContain('route');
    expect(ops(t.fake).slice(-2)).toEqual(['promote', 'stop']);
    expect(t.stores.logText('d1')).toContain(
      'no ingress (SLIPWAY_INGRESS=off): the release answers at fake://fake-0001:8080',
    );
  });
});

describe('rollback with a retained workload (fake engine)', () => {
  function rollbackSetup() {
    const fake = createFakeEngine(images);
    const stores = createMemoryStores();
    const deployment = claimedDeployment({
      id: 'r1',
      rollback: {
        deploymentId: 'd0',
        imageId: 'fake-image:web:1',
        digest: null,
        runReleaseCommands: false,
      },
    });
    fake.workloads.set('old-web', {
      ref: 'old-web',
      deploymentId: 'd0',
      role: 'web',
      state: 'exited',
      exitCode: 0,
      output: '',
      image: {},
      promoted: true,
    });
    void stores.store.retainRelease('app-1', {
      deploymentId: 'd0',
      workloadRef: 'old-web',
      imageId: 'fake-image:web:1',
      webPort: 8080,
      envFingerprint: envFingerprint({ env: deployment.env, app: deployment.app, port: 8080 }),
    });
    const run = () =>
      runDeployment(
        deployment,
        {
          store: stores.store,
          logs: stores.logs,
          engine: fake.engine,
          logger,
          logLimits: { flushIntervalMs: 5 },
        },
        control().stop,
      );
    return { fake, stores, run };
  }

  test('restarts the retained workload: no resolve, no start, and it becomes live', async () => {
    const t = rollbackSetup();
    expect(await t.run()).toBe('succeeded');
    expect(ops(t.fake)).toEqual(['inspect', 'restart', 'waitUntilReady', 'promote']);
    expect(t.stores.releases.get('app-1')?.workloadRef).toBe('old-web');
    // Live now, so no longer recorded as retained.
    expect(t.stores.retained.has('d0')).toBe(false);
    expect(t.stores.logText('r1')).toContain('release commands skipped');
  });

  test('a failure before activate stops it again and keeps it retained (never removed)', async () => {
    const t = rollbackSetup();
    t.fake.failNext('waitUntilReady', new EngineError('ENGINE_ERROR', 'probe broke'));
    expect(await t.run()).toBe('failed');
    expect(ops(t.fake)).toEqual(['inspect', 'restart', 'waitUntilReady', 'stop']);
    expect(ops(t.fake)).not.toContain('abandon');
    expect(t.fake.workloads.get('old-web')?.state).toBe('exited');
    expect(t.stores.retained.get('d0')?.workloadRef).toBe('old-web');
  });

  test('negative control: without a retained record a container is created from the image id', async () => {
    const t = rollbackSetup();
    await t.stores.store.forgetRetained('old-web');
    expect(await t.run()).toBe('succeeded');
    expect(ops(t.fake)).toContain('start');
    expect(ops(t.fake)).not.toContain('restart');
  });
});
