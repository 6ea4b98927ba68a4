/**
 * Issue 3, the bounded step log against a real command: with small head/tail limits, a command
 * printing megabytes keeps its first and last bytes, the log says how much was cut between them,
 * and PostgreSQL holds only a bounded amount for that step.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
} from '../support/docker-fixtures.js';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';

const headBytes = 16 * 1024;
const tailBytes = 16 * 1024;
/** The log writer stores output in chunks of up to 64 KiB; a budget may be overrun by one. */
const chunkBytes = 64 * 1024;

let harness: PipelineHarness;

beforeAll(async () => {
  await ensureDockerFixtures();
  harness = await startPipelineHarness({ logLimits: { headBytes, tailBytes } });
}, ENSURE_DOCKER_TIMEOUT_MS);

afterAll(async () => {
  await harness.close();
});

afterEach(async () => {
  expect(await harness.sweepStrayContainers(), 'containers left behind').toEqual([]);
});

describe('the deployment log', () => {
  test('keeps the head and tail of a huge output and notes how much it left out', async () => {
    const last = 600_000;
    const command = `echo FIRST-MARKER; seq 1 ${last}; echo LAST-MARKER`;
    await harness.createApp('chatty', { releaseCommands: [{ label: 'chatter', command }] });
    const done = await harness.waitForDeployment(
      (await harness.deploy('chatty', FIXTURE_IMAGES.webV1)).id,
      { timeoutMs: 60_000 },
    );
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    const step = done.steps.find((s) => s.kind === 'release_command');
    if (step === undefined) throw new Error('no release command step');

    let seqBytes = 0;
    for (let n = 1; n <= last; n++) seqBytes += String(n).length + 1;
    // What the step wrote: the command line, then the command's output (about 4 MB).
    const written =
      Buffer.byteLength(`$ ${command}\n`) +
      'FIRST-MARKER\n'.length +
      seqBytes +
      'LAST-MARKER\n'.length;

    const stored = await harness.api.db.logChunk.findMany({
      where: { stepId: step.id },
      select: { text: true },
    });
    const storedBytes = stored.reduce((sum, chunk) => sum + Buffer.byteLength(chunk.text), 0);
    const { logOmittedBytes } = await harness.api.db.deploymentStep.findUniqueOrThrow({
      where: { id: step.id },
      select: { logOmittedBytes: true },
    });
    expect(storedBytes).toBeLessThanOrEqual(headBytes + tailBytes + 2 * chunkBytes);
    // Nothing lost without being counted: kept + omitted is exactly what was written.
    expect(storedBytes + Number(logOmittedBytes)).toBe(written);

    const log = await harness.log(done.id);
    expect(log).toContain(`$ ${command}\nFIRST-MARKER\n1\n2\n3\n`);
    expect(log).toContain(`\n[… ${logOmittedBytes.toString()} bytes of output omitted …]\n`);
    expect(log).toContain(
      `${last - 1}\n${last}\nLAST-MARKER\n----- chatter: succeeded (exit code 0)`,
    );
    // The middle is gone.
    expect(log.split('\n')).not.toContain(String(last / 2));
    expect(Buffer.byteLength(log)).toBeLessThan(headBytes + tailBytes + 2 * chunkBytes + 16 * 1024);
  });
});
