/**
 * The Docker implementation's operations against the real engine and the real local registries of
 * scripts/ensure-docker.sh. Every container a test makes carries that test's own label, and
 * afterEach fails the test if any of them is left behind.
 */
import { randomUUID } from 'node:crypto';

import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import type {
  RunCommandOptions,
  StartWebContainerOptions,
} from '../../src/docker/runtime-types.js';
import { EngineError as RuntimeError } from '../../src/engine/engine-error.js';
import type { OutputStream } from '../../src/engine/engine.js';
import {
  createDockerOperations,
  type DockerOperations,
} from '../../src/docker/docker-operations.js';
import {
  containersWithLabel,
  dockerCli,
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
  REGISTRY_IMAGES,
  removeContainersWithLabel,
  removeLocalImage,
  TEST_AUTH_REGISTRY,
  TEST_AUTH_REGISTRY_CREDENTIALS,
  TEST_REGISTRY,
} from '../support/docker-fixtures.js';

const RUN_LABEL = 'io.slipway.test-run';
const TEST_TIMEOUT_MS = 60_000;

let runtime: DockerOperations;
let runId = '';
/** Web containers started by the current test; afterEach removes them through the runtime. */
let startedIds: string[] = [];

const labels = (extra: Record<string, string> = {}) => ({ [RUN_LABEL]: runId, ...extra });

beforeAll(async () => {
  await ensureDockerFixtures();
  // authConfig null: these tests must not depend on the credentials of whoever runs them.
  runtime = createDockerOperations({ authConfig: null });
}, ENSURE_DOCKER_TIMEOUT_MS);

beforeEach(() => {
  runId = randomUUID();
  startedIds = [];
});

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const id of startedIds) await runtime.removeContainer(id);
  const leftovers = await containersWithLabel(RUN_LABEL, runId);
  await removeContainersWithLabel(RUN_LABEL, runId);
  expect(leftovers, 'containers left behind by the test').toEqual([]);
});

function command(overrides: Partial<RunCommandOptions>): RunCommandOptions {
  return {
    image: FIXTURE_IMAGES.webV1,
    command: 'true',
    labels: labels(),
    env: {},
    network: undefined,
    timeoutMs: 30_000,
    onOutput: () => undefined,
    ...overrides,
  };
}

async function startWeb(overrides: Partial<StartWebContainerOptions>) {
  const started = await runtime.startWebContainer(web(overrides));
  startedIds.push(started.containerId);
  return started;
}

function web(overrides: Partial<StartWebContainerOptions>): StartWebContainerOptions {
  return {
    image: FIXTURE_IMAGES.webV1,
    name: `slipway-test-${runId}`,
    labels: labels(),
    env: {},
    containerPort: 8080,
    network: undefined,
    ...overrides,
  };
}

async function expectRuntimeError(promise: Promise<unknown>, code: RuntimeError['code']) {
  const error: unknown = await promise.then(
    () => null,
    (failure: unknown) => failure,
  );
  if (!(error instanceof RuntimeError)) {
    throw new Error(`expected a RuntimeError ${code}, got ${String(error)}`);
  }
  expect(error.code, error.message).toBe(code);
  return error;
}

/** GET with retries while the server comes up: at most `attempts` tries, 2 s each. */
async function fetchWhenUp(url: string, attempts = 50): Promise<{ status: number; body: string }> {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      lastError = error;
      await sleep(100);
    }
  }
  throw new Error(`${url} never answered`, { cause: lastError });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every 100 ms until it returns a value, for at most `timeoutMs`. */
async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 1_000 && Date.now() < deadline; attempt += 1) {
    const value = await probe();
    if (value !== null) return value;
    await sleep(100);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe('pullImage', { timeout: TEST_TIMEOUT_MS }, () => {
  it('pulls an image that is only in the registry, reporting compact progress', async () => {
    await removeLocalImage(REGISTRY_IMAGES.pullOnly);
    const lines: string[] = [];
    const image = await runtime.pullImage(REGISTRY_IMAGES.pullOnly, (line) => lines.push(line));

    expect(image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.repoDigest).toMatch(
      new RegExp(`^${TEST_REGISTRY}/slipway-test/pull-only@sha256:[0-9a-f]{64}$`),
    );
    // EXPOSE 9000 80 53/udp 8443/tcp: TCP only, ascending.
    expect(image.exposedTcpPorts).toEqual([80, 8443, 9000]);
    expect(image.labels['io.slipway.test.origin']).toBe('pull-only');
    expect(lines.some((line) => line.endsWith(': Pull complete'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^Status: Downloaded newer image/);
    expect(new Set(lines).size).toBe(lines.length);
    expect(await dockerCli(['image', 'ls', '-q', REGISTRY_IMAGES.pullOnly])).not.toBe('');
    await removeLocalImage(REGISTRY_IMAGES.pullOnly);
  });

  it('pulls a tag whose layers are already here, with the digest of that repository', async () => {
    await removeLocalImage(REGISTRY_IMAGES.webV2);
    const image = await runtime.pullImage(REGISTRY_IMAGES.webV2, () => undefined);
    const localId = (
      await dockerCli(['image', 'inspect', '-f', '{{.Id}}', FIXTURE_IMAGES.webV2])
    ).trim();
    expect(image.id).toBe(localId);
    expect(image.repoDigest?.startsWith(`${TEST_REGISTRY}/slipway-test/web@sha256:`)).toBe(true);
    expect(image.exposedTcpPorts).toEqual([8080]);
  });

  it('uses a locally built image when no registry has it, and says so', async () => {
    const lines: string[] = [];
    const image = await runtime.pullImage(FIXTURE_IMAGES.webWithReleaseLabel, (line) =>
      lines.push(line),
    );
    expect(image.repoDigest).toBeNull();
    expect(image.exposedTcpPorts).toEqual([8080]);
    expect(JSON.parse(image.labels['io.slipway.release-commands'] ?? 'null')).toEqual([
      { label: 'image migrate', command: 'echo image-declared-migration' },
    ]);
    expect(lines.at(-1)).toMatch(/using the image already present on this host$/);
  });

  it('returns no ports for an image without EXPOSE', async () => {
    const image = await runtime.pullImage(FIXTURE_IMAGES.webNoExpose, () => undefined);
    expect(image.exposedTcpPorts).toEqual([]);
  });

  it('maps a missing repository and a missing tag to IMAGE_NOT_FOUND', async () => {
    for (const reference of [
      `${TEST_REGISTRY}/slipway-test/does-not-exist:v1`,
      `${TEST_REGISTRY}/slipway-test/web:no-such-tag`,
    ]) {
      const error = await expectRuntimeError(
        runtime.pullImage(reference, () => undefined),
        'IMAGE_NOT_FOUND',
      );
      expect(error.message).toContain(reference);
    }
  });

  it('rejects an invalid reference as IMAGE_NOT_FOUND without asking the engine', async () => {
    const error = await expectRuntimeError(
      runtime.pullImage('Not A Reference', () => undefined),
      'IMAGE_NOT_FOUND',
    );
    expect(error.message).toContain('not a valid image reference');
  });

  describe('from a registry that demands credentials', () => {
    beforeEach(async () => {
      await removeLocalImage(REGISTRY_IMAGES.authWebV1);
    });

    it('fails with REGISTRY_AUTH_FAILED without credentials or with a wrong password', async () => {
      await expectRuntimeError(
        runtime.pullImage(REGISTRY_IMAGES.authWebV1, () => undefined),
        'REGISTRY_AUTH_FAILED',
      );
      await expectRuntimeError(
        runtime.pullImage(REGISTRY_IMAGES.authWebV1, () => undefined, {
          ...TEST_AUTH_REGISTRY_CREDENTIALS,
          password: 'wrong',
        }),
        'REGISTRY_AUTH_FAILED',
      );
    });

    it('pulls with explicit credentials', async () => {
      const image = await runtime.pullImage(
        REGISTRY_IMAGES.authWebV1,
        () => undefined,
        TEST_AUTH_REGISTRY_CREDENTIALS,
      );
      expect(image.repoDigest?.startsWith(`${TEST_AUTH_REGISTRY}/slipway-test/web@`)).toBe(true);
      await removeLocalImage(REGISTRY_IMAGES.authWebV1);
    });

    it('pulls with credentials found in DOCKER_AUTH_CONFIG', async () => {
      const { username, password } = TEST_AUTH_REGISTRY_CREDENTIALS;
      const auth = Buffer.from(`${username}:${password}`).toString('base64');
      vi.stubEnv(
        'DOCKER_AUTH_CONFIG',
        JSON.stringify({ auths: { [TEST_AUTH_REGISTRY]: { auth } } }),
      );
      const lines: string[] = [];
      const image = await createDockerOperations().pullImage(REGISTRY_IMAGES.authWebV1, (line) =>
        lines.push(line),
      );
      expect(lines[0]).toContain('with credentials of slipway');
      expect(image.exposedTcpPorts).toEqual([8080]);
      await removeLocalImage(REGISTRY_IMAGES.authWebV1);
    });
  });

  it('reports ENGINE_UNAVAILABLE when no engine answers', async () => {
    vi.stubEnv('DOCKER_HOST', 'unix:///nonexistent/docker.sock');
    const offline = createDockerOperations({ authConfig: null });
    await expectRuntimeError(
      offline.pullImage(REGISTRY_IMAGES.webV1, () => undefined),
      'ENGINE_UNAVAILABLE',
    );
    await expectRuntimeError(offline.listContainers(labels()), 'ENGINE_UNAVAILABLE');
    await expectRuntimeError(offline.runCommand(command({})), 'ENGINE_UNAVAILABLE');
  });
});

describe('runCommand', { timeout: TEST_TIMEOUT_MS }, () => {
  it('streams stdout and stderr in the order they were written, as they are written', async () => {
    const chunks: { stream: OutputStream; text: string; at: number }[] = [];
    const result = await runtime.runCommand(
      command({
        command:
          'echo out-1; sleep 0.3; echo err-1 >&2; sleep 0.3; echo out-2; sleep 0.3; echo err-2 >&2; sleep 1.5; echo done',
        onOutput: (text, stream) => chunks.push({ stream, text, at: Date.now() }),
      }),
    );
    const finishedAt = Date.now();

    expect(result).toEqual({ outcome: 'exited', exitCode: 0 });
    const merged: [OutputStream, string][] = [];
    for (const { stream, text } of chunks) {
      const last = merged.at(-1);
      if (last?.[0] === stream) last[1] += text;
      else merged.push([stream, text]);
    }
    expect(merged).toEqual([
      ['stdout', 'out-1\n'],
      ['stderr', 'err-1\n'],
      ['stdout', 'out-2\n'],
      ['stderr', 'err-2\n'],
      ['stdout', 'done\n'],
    ]);
    const firstChunk = chunks[0];
    expect(firstChunk).toBeDefined();
    expect(finishedAt - (firstChunk?.at ?? finishedAt)).toBeGreaterThan(1_500);
  });

  it('delivers all output, however large, before resolving', async () => {
    let stdout = '';
    const result = await runtime.runCommand(
      command({
        command: "seq 1 20000; printf 'no newline at the end'",
        onOutput: (text) => {
          stdout += text;
        },
      }),
    );
    expect(result).toEqual({ outcome: 'exited', exitCode: 0 });
    const lines = stdout.split('\n');
    expect(lines).toHaveLength(20_001);
    expect(lines[19_999]).toBe('20000');
    expect(lines[20_000]).toBe('no newline at the end');
  });

  it('reports the exit code of a failing command', async () => {
    const result = await runtime.runCommand(command({ command: 'echo failing; exit 7' }));
    expect(result).toEqual({ outcome: 'exited', exitCode: 7 });
  });

  it('reports a command the OOM killer ended over its memory limit (oomKilled)', async () => {
    const result = await runtime.runCommand(
      command({
        // `tail` holds the whole newline-free input: 64 MiB against a 6 MiB limit.
        command: 'head -c 64m /dev/zero | tail > /dev/null',
        resources: { memoryMiB: 6, cpus: 1, pids: 64 },
      }),
    );
    expect(result).toEqual({ outcome: 'exited', exitCode: 137, oomKilled: true });
  });

  it('a process limit stops a command from forking more than it allows', async () => {
    let output = '';
    const forkMany = 'for i in $(seq 1 40); do sleep 5 & done; echo all-started';
    const limited = await runtime.runCommand(
      command({
        command: forkMany,
        resources: { memoryMiB: 64, cpus: 1, pids: 16 },
        onOutput: (text) => {
          output += text;
        },
      }),
    );
    expect(limited).toEqual({ outcome: 'exited', exitCode: 2 });
    expect(output).toContain("can't fork");
    expect(output).not.toContain('all-started');
    // Control: the same command with room for it starts every process.
    output = '';
    const roomy = await runtime.runCommand(
      command({
        command: `${forkMany}; kill $(jobs -p)`,
        resources: { memoryMiB: 64, cpus: 1, pids: 100 },
        onOutput: (text) => {
          output += text;
        },
      }),
    );
    expect(roomy).toEqual({ outcome: 'exited', exitCode: 0 });
    expect(output).toContain('all-started');
  });

  it('passes env, runs under an init process and attaches the requested network', async () => {
    let output = '';
    const result = await runtime.runCommand(
      command({
        command: 'echo "$GREETING"; cat /proc/1/comm; ls /sys/class/net',
        env: { GREETING: 'hello from the env' },
        network: 'none',
        onOutput: (text) => {
          output += text;
        },
      }),
    );
    expect(result).toEqual({ outcome: 'exited', exitCode: 0 });
    expect(output).toBe('hello from the env\ndocker-init\nlo\n');
  });

  it('labels the container while it runs and removes it afterwards', async () => {
    const running = runtime.runCommand(
      command({ command: 'sleep 2', labels: labels({ 'io.slipway.role': 'release' }) }),
    );
    const listed = await waitFor(async () => {
      const found = await runtime.listContainers(labels({ 'io.slipway.role': 'release' }));
      return found.length > 0 ? found : null;
    }, 10_000);
    expect(listed[0]?.labels['io.slipway.role']).toBe('release');
    await expect(running).resolves.toEqual({ outcome: 'exited', exitCode: 0 });
    expect(await containersWithLabel(RUN_LABEL, runId)).toEqual([]);
  });

  it('kills a command that outlives its timeout and removes its container', async () => {
    const started = Date.now();
    const result = await runtime.runCommand(command({ command: 'sleep 30', timeoutMs: 1_500 }));
    expect(result).toEqual({ outcome: 'timed-out' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await containersWithLabel(RUN_LABEL, runId)).toEqual([]);
  });

  it('kills the command when aborted and removes its container', async () => {
    const controller = new AbortController();
    const result = await runtime.runCommand(
      command({
        command: 'echo started; sleep 30',
        signal: controller.signal,
        onOutput: (text) => {
          if (text.includes('started')) controller.abort();
        },
      }),
    );
    expect(result).toEqual({ outcome: 'aborted' });
    expect(await containersWithLabel(RUN_LABEL, runId)).toEqual([]);
  });

  it('does not create anything when the signal is already aborted', async () => {
    const result = await runtime.runCommand(command({ signal: AbortSignal.abort() }));
    expect(result).toEqual({ outcome: 'aborted' });
  });

  it('rethrows an error thrown by onOutput, after removing the container', async () => {
    const failure = new Error('log sink is full');
    const promise = runtime.runCommand(
      command({
        command: 'echo one; echo two',
        onOutput: () => {
          throw failure;
        },
      }),
    );
    await expect(promise).rejects.toBe(failure);
  });

  it('maps a missing image to IMAGE_NOT_FOUND', async () => {
    await expectRuntimeError(
      runtime.runCommand(command({ image: `${TEST_REGISTRY}/slipway-test/absent:v1` })),
      'IMAGE_NOT_FOUND',
    );
  });

  it('maps an unknown network to ENGINE_ERROR', async () => {
    const error = await expectRuntimeError(
      runtime.runCommand(command({ network: `slipway-no-such-network-${runId}` })),
      'ENGINE_ERROR',
    );
    expect(error.message).toContain('slipway-no-such-network');
  });
});

describe('startWebContainer', { timeout: TEST_TIMEOUT_MS }, () => {
  it('publishes the container port on 127.0.0.1 and reports the container faithfully', async () => {
    const started = await startWeb({
      env: { SLIPWAY_TEST_VALUE: 'from-start' },
      labels: labels({ role: 'web' }),
    });
    expect(started.containerId).toMatch(/^[0-9a-f]{64}$/);

    const root = await fetchWhenUp(`http://127.0.0.1:${started.hostPort}/`);
    expect(root).toEqual({ status: 200, body: 'slipway-test web v1\n' });
    const env = await fetchWhenUp(`http://127.0.0.1:${started.hostPort}/cgi-bin/env`);
    expect(env.body).toContain('SLIPWAY_TEST_VALUE=from-start');

    const inspect = (format: string) =>
      dockerCli(['inspect', '-f', format, started.containerId]).then((out) => out.trim());
    expect(await inspect('{{(index (index .NetworkSettings.Ports "8080/tcp") 0).HostIp}}')).toBe(
      '127.0.0.1',
    );
    // Restarts stay off until the release is live, so a crash during the probe stays visible.
    expect(await inspect('{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.Init}}')).toBe(
      'no true',
    );
    await runtime.keepRunning(started.containerId);
    expect(await inspect('{{.HostConfig.RestartPolicy.Name}}')).toBe('unless-stopped');
    expect(await inspect('{{.Name}}')).toBe(`/slipway-test-${runId}`);

    expect(await runtime.containerState(started.containerId)).toEqual({
      running: true,
      exitCode: null,
    });
    expect(await runtime.logTail(started.containerId, 10)).toContain(
      'slipway-test web v1 starting (port 8080)',
    );
    // Container labels also include the image's own labels.
    const listed = await runtime.listContainers(labels({ role: 'web' }));
    expect(listed).toHaveLength(1);
    expect(listed[0]?.id).toBe(started.containerId);
    expect(listed[0]?.labels).toMatchObject(labels({ role: 'web' }));

    await runtime.removeContainer(started.containerId);
    await runtime.removeContainer(started.containerId);
    expect(await runtime.containerState(started.containerId)).toBeNull();
    expect(await runtime.listContainers(labels())).toEqual([]);
  });

  it('gives each container its own host port, which survives a restart', async () => {
    const first = await startWeb({ name: `slipway-test-${runId}-a` });
    const second = await startWeb({ name: `slipway-test-${runId}-b`, image: FIXTURE_IMAGES.webV2 });
    expect(second.hostPort).not.toBe(first.hostPort);
    expect((await fetchWhenUp(`http://127.0.0.1:${first.hostPort}/`)).body).toContain('v1');
    expect((await fetchWhenUp(`http://127.0.0.1:${second.hostPort}/`)).body).toContain('v2');

    await dockerCli(['restart', '-t', '1', first.containerId]);
    const port = await dockerCli(['port', first.containerId, '8080/tcp']);
    expect(port.trim()).toBe(`127.0.0.1:${first.hostPort}`);
    expect((await fetchWhenUp(`http://127.0.0.1:${first.hostPort}/`)).body).toContain('v1');
  });

  it('publishes whatever container port it is told, EXPOSEd or not', async () => {
    const started = await startWeb({ image: FIXTURE_IMAGES.webPort9090, containerPort: 9090 });
    expect((await fetchWhenUp(`http://127.0.0.1:${started.hostPort}/`)).body).toContain(
      'port-9090',
    );
    const noExpose = await startWeb({
      image: FIXTURE_IMAGES.webNoExpose,
      name: `slipway-test-${runId}-noexpose`,
    });
    expect((await fetchWhenUp(`http://127.0.0.1:${noExpose.hostPort}/`)).body).toContain(
      'noexpose',
    );
  });

  it('uses the container port as host port on the host network', async () => {
    const started = await startWeb({
      image: FIXTURE_IMAGES.webPort9090,
      containerPort: 9090,
      network: 'host',
    });
    expect(started.hostPort).toBe(9090);
    expect((await fetchWhenUp('http://127.0.0.1:9090/')).body).toContain('port-9090');
  });

  it('reports a crashed container as not running, with its exit code', async () => {
    const started = await startWeb({ image: FIXTURE_IMAGES.webCrash });
    // No restart policy before the release is live: the crash is final and seen as such.
    const state = await waitFor(async () => {
      const current = await runtime.containerState(started.containerId);
      return current !== null && !current.running ? current : null;
    }, 20_000);
    expect(state).toEqual({ running: false, exitCode: 3 });
    expect(await runtime.logTail(started.containerId, 50)).toContain(
      'slipway-test web-crash exiting with code 3\n',
    );
  });

  it('removes the created container when the engine cannot start it', async () => {
    const name = `slipway-test-${runId}`;
    await expectRuntimeError(
      runtime.startWebContainer(web({ image: FIXTURE_IMAGES.webUnstartable, name })),
      'ENGINE_ERROR',
    );
    expect(await dockerCli(['ps', '-aq', '--filter', `name=^/${name}$`])).toBe('');
  });

  it('refuses a second container with the same name', async () => {
    await startWeb({});
    const error = await expectRuntimeError(runtime.startWebContainer(web({})), 'ENGINE_ERROR');
    expect(error.message).toMatch(/already in use/);
  });
});

describe('container queries', { timeout: TEST_TIMEOUT_MS }, () => {
  it('lists only the containers that carry every requested label', async () => {
    const a = await startWeb({ name: `slipway-test-${runId}-a`, labels: labels({ role: 'a' }) });
    const b = await startWeb({ name: `slipway-test-${runId}-b`, labels: labels({ role: 'b' }) });
    const ids = (found: { id: string }[]) => found.map((container) => container.id).sort();
    expect(ids(await runtime.listContainers(labels()))).toEqual(
      [a.containerId, b.containerId].sort(),
    );
    expect(ids(await runtime.listContainers(labels({ role: 'a' })))).toEqual([a.containerId]);

    // Stopped containers are listed too.
    await dockerCli(['stop', '-t', '1', b.containerId]);
    expect(ids(await runtime.listContainers(labels({ role: 'b' })))).toEqual([b.containerId]);
    expect(await runtime.containerState(b.containerId)).toMatchObject({ running: false });
  });

  it('treats unknown containers as gone', async () => {
    const unknown = 'f'.repeat(64);
    expect(await runtime.containerState(unknown)).toBeNull();
    await expect(runtime.removeContainer(unknown)).resolves.toBeUndefined();
    await expectRuntimeError(runtime.logTail(unknown, 10), 'ENGINE_ERROR');
  });

  it('tails the last lines of both streams', async () => {
    const started = await startWeb({ image: FIXTURE_IMAGES.webCrash });
    const tail = await waitFor(async () => {
      const text = await runtime.logTail(started.containerId, 3);
      return text.includes('exiting with code 3') ? text : null;
    }, 15_000);
    expect(tail.split('\n').filter((line) => line !== '')).toHaveLength(3);
    expect(await runtime.logTail(started.containerId, 0)).toBe('');
  });
});
