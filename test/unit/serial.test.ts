import { describe, expect, test } from 'vitest';
import { createSerial } from '../../src/ingress/serial.js';

describe('createSerial', () => {
  test('runs tasks one at a time in call order; a failure does not stop the next', async () => {
    const serial = createSerial();
    const events: string[] = [];
    let running = 0;
    let overlapped = false;
    const task = (name: string, fail = false) =>
      serial(async () => {
        running += 1;
        if (running > 1) overlapped = true;
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`end ${name}`);
        running -= 1;
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const results = await Promise.allSettled([task('a'), task('b', true), task('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(overlapped).toBe(false);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  test('negative control: without it the same tasks overlap (the check above can see it)', async () => {
    let running = 0;
    let overlapped = false;
    const task = async () => {
      running += 1;
      if (running > 1) overlapped = true;
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
    };
    await Promise.all([task(), task()]);
    expect(overlapped).toBe(true);
  });
});
