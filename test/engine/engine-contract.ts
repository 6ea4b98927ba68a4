/**
 * What every engine behind the seam (src/engine/engine.ts) must do, written once and run against
 * each implementation: the in-memory fake (engine-contract-fake.test.ts) and Docker
 * (engine-contract-docker.test.ts). A new engine passes this suite before the pipeline uses it.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { resourceDefaults } from '../../src/domain/resource-limits.js';
import { EngineError } from '../../src/engine/engine-error.js';
import type {
  Engine,
  OutputStream,
  ReadinessCheck,
  WorkloadOwner,
} from '../../src/engine/engine.js';

export interface ContractFixture {
  engine: Engine;
  images: {
    /** Answers HTTP 2xx on / at `port` soon after it starts. */
    web: string;
    /** Exits with code 3 soon after it starts, having printed something. */
    crashing: string;
    /** Accepts nothing and never gets ready. */
    neverReady: string;
    /** Exists nowhere. */
    missing: string;
  };
  port: number;
}

const check: ReadinessCheck = {
  path: '/',
  host: null,
  settings: {
    startupTimeoutSeconds: 20,
    probeTimeoutSeconds: 2,
    maxRetries: 1000,
    intervalMs: 100,
    path: '/',
  },
};

export function describeEngineContract(name: string, setup: () => Promise<ContractFixture>) {
  describe(`engine contract: ${name}`, () => {
    let fixture: ContractFixture;
    let owner: WorkloadOwner;
    const never = new AbortController().signal;

    beforeAll(async () => {
      fixture = await setup();
    }, 15 * 60_000);

    afterEach(async () => {
      // Whatever a test started and did not clean up fails it (after being removed).
      const left = await fixture.engine.inventory.list({ deploymentId: owner.deploymentId });
      for (const workload of left) await fixture.engine.inventory.remove(workload.ref);
      expect(left, 'workloads left behind').toEqual([]);
    });

    const newOwner = () => {
      owner = { app: 'contract', deploymentId: randomUUID() };
      return owner;
    };

    async function image(reference: string) {
      return fixture.engine.images.resolve(reference, {
        onLog: () => undefined,
        credentials: null,
      });
    }

    async function runTask(
      command: string,
      options: { timeoutMs?: number; signal?: AbortSignal } = {},
    ) {
      const output: { text: string; stream: OutputStream }[] = [];
      const resolved = await image(fixture.images.web);
      const result = await fixture.engine.tasks.run(
        {
          owner: newOwner(),
          stepId: randomUUID(),
          imageId: resolved.id,
          command,
          env: { CONTRACT: '1' },
          timeoutMs: options.timeoutMs ?? 30_000,
          resources: resourceDefaults,
        },
        {
          onOutput: (text, stream) => {
            output.push({ text, stream });
          },
          signal: options.signal ?? never,
        },
      );
      const text = (stream: OutputStream) =>
        output
          .filter((o) => o.stream === stream)
          .map((o) => o.text)
          .join('');
      return { result, stdout: text('stdout'), stderr: text('stderr') };
    }

    async function startCandidate(reference: string, replicas = 1) {
      const resolved = await image(reference);
      return fixture.engine.web.start({
        owner: newOwner(),
        imageId: resolved.id,
        env: {},
        port: fixture.port,
        resources: resourceDefaults,
        replicas,
      });
    }

    const listed = async () => fixture.engine.inventory.list({ deploymentId: owner.deploymentId });

    test('resolves an image and what it declares; a missing one is IMAGE_NOT_FOUND', async () => {
      newOwner();
      const resolved = await image(fixture.images.web);
      expect(resolved.id).not.toBe('');
      expect(resolved.exposedTcpPorts).toContain(fixture.port);
      const missing = await image(fixture.images.missing).then(
        () => null,
        (error: unknown) => error,
      );
      expect(missing).toBeInstanceOf(EngineError);
      expect(missing).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    });

    test('runs a release command to completion, output per stream, and cleans it up', async () => {
      const { result, stdout, stderr } = await runTask(
        'echo to-stdout; echo to-stderr >&2; exit 0',
      );
      expect(result).toEqual({ outcome: 'exited', exitCode: 0 });
      expect(stdout).toBe('to-stdout\n');
      expect(stderr).toBe('to-stderr\n');
    });

    test('reports the exit code of a failing command', async () => {
      const { result, stdout } = await runTask('echo failing; exit 3');
      expect(result).toEqual({ outcome: 'exited', exitCode: 3 });
      expect(stdout).toBe('failing\n');
    });

    test('ends a command that runs past its timeout', async () => {
      const started = Date.now();
      const { result } = await runTask('sleep 30', { timeoutMs: 1000 });
      expect(result).toEqual({ outcome: 'timed-out' });
      expect(Date.now() - started).toBeLessThan(20_000);
    });

    test('a cancel during a command kills it', async () => {
      const controller = new AbortController();
      setTimeout(() => {
        controller.abort();
      }, 300);
      const { result } = await runTask('sleep 30', { signal: controller.signal });
      expect(result).toEqual({ outcome: 'aborted' });
    });

    test('a candidate gets ready, is promoted, keeps running, and is gone once retired', async () => {
      const candidate = await startCandidate(fixture.images.web);
      expect(candidate.endpoints).toHaveLength(1);
      expect(candidate.endpoints[0]).not.toBe('');
      expect(fixture.engine.web.describe(candidate.ref)).not.toBe('');
      expect(
        (await fixture.engine.inventory.list({ deploymentId: owner.deploymentId })).map(
          (w) => w.ref,
        ),
      ).toEqual([candidate.ref]);
      const ready = await fixture.engine.web.waitUntilReady(candidate, check, {
        log: () => undefined,
        signal: never,
      });
      expect(ready.outcome).toBe('ready');
      await fixture.engine.web.promote(candidate.ref);
      expect(await fixture.engine.web.health(candidate.ref)).toBe('running');
      await fixture.engine.web.retire(candidate.ref, { stopTimeoutSeconds: 1 });
      expect(await fixture.engine.web.health(candidate.ref)).toBe('missing');
      // Retiring what is already gone is not an error.
      await fixture.engine.web.retire(candidate.ref, { stopTimeoutSeconds: 1 });
    });

    test('a candidate that crashes while gated is reported with its exit code and output', async () => {
      const candidate = await startCandidate(fixture.images.crashing);
      const result = await fixture.engine.web.waitUntilReady(candidate, check, {
        log: () => undefined,
        signal: never,
      });
      expect(result).toMatchObject({ outcome: 'exited', exitCode: 3 });
      expect(result.outcome === 'exited' ? result.logTail : '').not.toBe('');
      await fixture.engine.web.abandon(candidate.ref);
    });

    test('a cancel while gating stops the wait; abandon removes the candidate', async () => {
      const candidate = await startCandidate(fixture.images.neverReady);
      const controller = new AbortController();
      setTimeout(() => {
        controller.abort();
      }, 300);
      const result = await fixture.engine.web.waitUntilReady(candidate, check, {
        log: () => undefined,
        signal: controller.signal,
      });
      expect(result.outcome).toBe('aborted');
      await fixture.engine.web.abandon(candidate.ref);
      expect(await fixture.engine.web.health(candidate.ref)).toBe('missing');
      expect(await fixture.engine.inventory.list({ deploymentId: owner.deploymentId })).toEqual([]);
      // Abandoning twice is not an error either.
      await fixture.engine.web.abandon(candidate.ref);
    });

    test('three replicas: three workloads at three endpoints, all gated, one ref, retired together', async () => {
      const candidate = await startCandidate(fixture.images.web, 3);
      expect(new Set(candidate.endpoints).size).toBe(3);
      const members = await listed();
      expect(members).toHaveLength(3);
      // Each member counts under the set's ref, so a live set is never taken for orphans.
      for (const member of members) expect(member.setRef ?? member.ref).toBe(candidate.ref);
      expect(fixture.engine.web.describe(candidate.ref)).toMatch(/3/);
      const ready = await fixture.engine.web.waitUntilReady(candidate, check, {
        log: () => undefined,
        signal: never,
      });
      expect(ready.outcome).toBe('ready');
      await fixture.engine.web.promote(candidate.ref);
      expect(await fixture.engine.web.health(candidate.ref)).toBe('running');
      // One member removed from under the set: no longer healthy, but not missing either.
      const [first] = members;
      if (first === undefined) throw new Error('no member');
      await fixture.engine.inventory.remove(first.ref);
      expect(await fixture.engine.web.health(candidate.ref)).toBe('exited');
      await fixture.engine.web.retire(candidate.ref, { stopTimeoutSeconds: 1 });
      expect(await fixture.engine.web.health(candidate.ref)).toBe('missing');
      expect(await listed()).toEqual([]);
      await fixture.engine.web.retire(candidate.ref, { stopTimeoutSeconds: 1 });
    });

    test('a set where one replica crashes fails the gate naming that replica; abandon removes all', async () => {
      const candidate = await startCandidate(fixture.images.crashing, 2);
      const result = await fixture.engine.web.waitUntilReady(candidate, check, {
        log: () => undefined,
        signal: never,
      });
      expect(result).toMatchObject({ outcome: 'exited', exitCode: 3, of: 2 });
      expect(result.outcome === 'exited' ? [1, 2] : []).toContain(
        result.outcome === 'exited' ? result.replica : 0,
      );
      await fixture.engine.web.abandon(candidate.ref);
      expect(await listed()).toEqual([]);
    });

    test('the inventory lists what this installation owns, by deployment', async () => {
      const candidate = await startCandidate(fixture.images.web);
      const all = await fixture.engine.inventory.list();
      expect(all).toContainEqual({ ref: candidate.ref, deploymentId: owner.deploymentId });
      await fixture.engine.inventory.remove(candidate.ref);
      expect(await fixture.engine.inventory.list({ deploymentId: owner.deploymentId })).toEqual([]);
    });
  });
}
