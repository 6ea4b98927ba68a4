import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { afterEach, expect, test } from 'vitest';
import { createStartedRecord } from '../support/started-record.js';

/**
 * Issue 11, item 25: the test run stops the registries ensure-docker.sh started for it, by the
 * pids it recorded, and nothing else. Real processes stand in for the registries.
 */

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.length = 0;
});

function sleeper(): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

function exited(child: ChildProcess, ms: number): Promise<NodeJS.Signals | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve('timeout');
    }, ms);
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? 'timeout');
    });
  });
}

test('stops exactly the recorded processes; an unrecorded one keeps running', async () => {
  const record = createStartedRecord();
  const started = sleeper();
  const bystander = sleeper();
  await appendFile(record.path, `registry ${started.pid} slipway-registry-auth\n`);
  // A pid that is gone already is no error.
  await appendFile(record.path, 'registry 999999 long-gone\n');
  const stopping = exited(started, 5000);
  expect(await record.stopAll()).toEqual(['slipway-registry-auth']);
  expect(await stopping).toBe('SIGTERM');
  expect(bystander.exitCode).toBeNull();
  expect(bystander.signalCode).toBeNull();
  // The record is consumed: a second call stops nothing.
  expect(await record.stopAll()).toEqual([]);
});
