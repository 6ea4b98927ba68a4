/**
 * The switch the issue asks for, with a real HAProxy: under load, an app's backend goes from
 * upstream "a" (holding each request ~300 ms, so requests are in flight at the switch) to "b",
 * with a drain before "a" stops. No request may fail, and no request started after the switch
 * returned may be answered by "a". The negative control stops "a" right after the switch without
 * a drain and must see failures, which shows the assertions can see them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHaproxyRouter } from '../../src/ingress/haproxy-router.js';
import { startHaproxyFixture, type HaproxyFixture } from '../support/haproxy-fixture.js';
import { startLoad, waitFor, type RequestRecord } from '../support/load-generator.js';
import { startUpstream, type Upstream } from '../support/upstream-server.js';

const host = 'shop.test';
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(
  live: 'a' | 'b' = 'a',
): Promise<{ a: Upstream; b: Upstream; haproxy: HaproxyFixture }> {
  const a = await startUpstream('a', 300);
  cleanups.push(() => a.close());
  const b = await startUpstream('b');
  cleanups.push(() => b.close());
  const port = live === 'a' ? a.port : b.port;
  const haproxy = await startHaproxyFixture([
    { key: 'shop', hostnames: [host], slots: 2, live: [{ ip: '127.0.0.1', port }] },
  ]);
  cleanups.push(async () => {
    await haproxy.stop();
    // Nothing left behind: the master (and with it its workers) is gone.
    expect(() => process.kill(haproxy.process.pid, 0)).toThrow();
  });
  return { a, b, haproxy };
}

function failures(records: RequestRecord[]): RequestRecord[] {
  return records.filter((r) => r.error !== null || r.status !== 200);
}

describe.each([
  { concurrency: 8, keepAlive: true },
  { concurrency: 32, keepAlive: false },
])(
  'switching a backend slot under load ($concurrency concurrent, keep-alive $keepAlive)',
  (load) => {
    it('drops no request, drains the in-flight ones, and sends nothing new to the old upstream', async () => {
      const { a, b, haproxy } = await setUp();
      const router = createHaproxyRouter({ api: haproxy.process.api });
      const run = startLoad({ port: haproxy.port, host, requests: 2000, ...load });
      // Switch while "a" holds requests: the drain must see them and let them finish.
      await waitFor(
        'requests in flight on a',
        () => a.inFlight() >= Math.min(load.concurrency, 8) && run.completed() >= 20,
      );
      const switched = await router.route('shop', [b.endpoint]);
      const switchReturnedAt = performance.now();
      const drained = await router.drain('shop', { timeoutMs: 5000 });
      a.kill();
      const records = await run.done;

      expect(switched).toEqual({ added: 1, draining: 1 });
      expect(drained.inFlightAtStart).toBeGreaterThan(0);
      expect(drained.inFlightAtEnd).toBe(0);
      expect(records).toHaveLength(2000);
      expect(failures(records)).toEqual([]);
      const lateA = records.filter((r) => r.body === 'a' && r.startedAt >= switchReturnedAt);
      expect(lateA).toEqual([]);
      expect(records.filter((r) => r.body === 'a').length).toBeGreaterThan(0);
      expect(records.filter((r) => r.body === 'b').length).toBeGreaterThan(1000);
    });
  },
);

describe('reloading under load', () => {
  it('drops no request across three reloads (expose-fd listeners, idle-close-on-response)', async () => {
    // b answers at once: 2,000 requests through three reloads in a few seconds.
    const { b, haproxy } = await setUp('b');
    const apps = [
      { key: 'shop', hostnames: [host], slots: 2, live: [{ ip: '127.0.0.1', port: b.port }] },
    ];
    const run = startLoad({
      port: haproxy.port,
      host,
      requests: 2000,
      concurrency: 8,
      keepAlive: true,
    });
    for (let reload = 1; reload <= 3; reload += 1) {
      await waitFor(
        `${reload * 400} requests before reload ${reload}`,
        () => run.completed() >= reload * 400,
        30_000,
      );
      await haproxy.reload(apps);
    }
    const records = await run.done;

    expect(records).toHaveLength(2000);
    expect(failures(records)).toEqual([]);
    expect(records.filter((r) => r.body === 'b')).toHaveLength(2000);
  });
});

describe('negative control', () => {
  it('sees failed requests when the old upstream stops right after the switch, without a drain', async () => {
    const { a, b, haproxy } = await setUp();
    const router = createHaproxyRouter({ api: haproxy.process.api });
    const run = startLoad({
      port: haproxy.port,
      host,
      requests: 2000,
      concurrency: 8,
      keepAlive: true,
    });
    await waitFor('requests in flight on a', () => a.inFlight() >= 8 && run.completed() >= 20);
    await router.route('shop', [b.endpoint]);
    a.kill();
    const records = await run.done;

    expect(records).toHaveLength(2000);
    expect(failures(records).length).toBeGreaterThan(0);
  });
});
