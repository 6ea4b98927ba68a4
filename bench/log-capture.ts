/**
 * 5. Logs: a release command printing lots of 100-byte lines. Capture throughput, the worker's
 * peak RSS, and how late an SSE follower sees a line, against the same command run through the
 * runtime with its output discarded.
 */
import { sleep, wallNow, BenchTimeoutError } from './lib/clock.js';
import type { Benchmark, BenchContext } from './lib/context.js';
import { benchImages } from './lib/environment.js';
import { pick } from './lib/options.js';
import { followLog } from './lib/sse-follower.js';
import { median, percentile } from './lib/stats.js';
import {
  deployAndWait,
  expectSucceeded,
  firstStep,
  startWorker,
  waitForDeployment,
} from './lib/slipway.js';

const lineBytes = 100;
const mebibyte = 1024 * 1024;

/** Finds the complete `STAMP <us>` lines in streamed text (a line may straddle two pieces). */
function stampScanner(onStamp: (printedAt: number, receivedAt: number) => void) {
  let carry = '';
  return (text: string, receivedAt: number) => {
    const lines = (carry + text).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) {
      // Exactly one padded line: a line glued together across a gap in the stored log is not.
      if (line.length === lineBytes - 1 && line.startsWith('STAMP ')) {
        const micros = Number(line.slice(6).trim());
        if (Number.isFinite(micros)) onStamp(micros / 1000, receivedAt);
      }
    }
  };
}

interface Round {
  throughput: number;
  peakRssMiB: number;
  idleRssMiB: number;
  delays: number[];
  stampsSeen: number;
}

async function slipwayRound(
  context: BenchContext,
  command: { text: string; bytes: number },
  round: number,
  timeoutMs: number,
): Promise<Round> {
  const { env, client, api } = context;
  const worker = startWorker(env, 1, `worker-logs-${round}`);
  try {
    // A fresh worker per round, so its peak RSS (VmHWM) belongs to this round alone.
    await deployAndWait(env, client, 'logs-warm-up', benchImages.small);
    const idle = worker.memory();
    const delays: number[] = [];
    let firstStampAt = Number.NaN;
    const scan = stampScanner((printedAt, receivedAt) => {
      if (Number.isNaN(firstStampAt)) firstStampAt = printedAt;
      delays.push(receivedAt - printedAt);
    });
    const { id } = await client.deploy('logs', benchImages.small);
    const follower = followLog(api.baseUrl, env.adminToken, id, scan);
    try {
      const timing = await waitForDeployment(env, id, timeoutMs).catch(async (error: unknown) => {
        if (error instanceof BenchTimeoutError) {
          await client.cancel(id).catch(() => undefined);
          throw new Error(
            `log benchmark aborted: ${(command.bytes / mebibyte).toFixed(0)} MB were not captured within ${(timeoutMs / 60_000).toFixed(0)} min`,
          );
        }
        throw error;
      });
      expectSucceeded(timing, 'log capture');
      const streamEnd = await Promise.race([follower.done, sleep(30_000).then(() => null)]);
      if (streamEnd?.ended !== true) {
        throw new Error(`the SSE follower saw no end event (${streamEnd?.error ?? 'timed out'})`);
      }
      const memory = worker.memory();
      const step = firstStep(timing, 'release_command');
      const seconds = ((step.finishedAt ?? Number.NaN) - firstStampAt) / 1000;
      return {
        throughput: command.bytes / mebibyte / seconds,
        peakRssMiB: memory?.peakRssMiB ?? Number.NaN,
        idleRssMiB: idle?.rssMiB ?? Number.NaN,
        delays,
        stampsSeen: delays.length,
      };
    } finally {
      follower.close();
    }
  } finally {
    await worker.stop();
  }
}

/**
 * Rows inserted into log_chunks so far, from PostgreSQL's statistics: output past the stored head
 * is written as tail chunks and deleted again as newer output arrives, and this shows how much.
 * Read while no worker runs, since a backend reports its counts at the latest when it exits.
 */
async function logChunkRowsInserted(context: BenchContext): Promise<number> {
  await sleep(1000);
  const result = await context.env.db.query<{ inserted: string }>(
    "SELECT n_tup_ins AS inserted FROM pg_stat_user_tables WHERE relname = 'log_chunks'",
  );
  return Number(result.rows[0]?.inserted ?? Number.NaN);
}

/** The same command through the runtime, output only counted: what Docker alone delivers. */
async function floorRound(
  context: BenchContext,
  commandText: string,
  bytes: number,
): Promise<number> {
  let firstStampAt = Number.NaN;
  let received = 0;
  const scan = stampScanner((printedAt) => {
    if (Number.isNaN(firstStampAt)) firstStampAt = printedAt;
  });
  const image = await context.floor.runtime.pullImage(benchImages.small, () => {});
  const result = await context.floor.runtime.runCommand({
    image: image.id,
    command: commandText,
    labels: { 'io.slipway.bench': context.env.runId },
    env: {},
    network: undefined,
    timeoutMs: 10 * 60_000,
    onOutput: (text) => {
      received += Buffer.byteLength(text);
      // Only the first stamp is needed; scanning stops costing anything after it.
      if (Number.isNaN(firstStampAt)) scan(text, 0);
    },
  });
  const doneAt = wallNow();
  if (result.outcome !== 'exited' || result.exitCode !== 0 || received !== bytes) {
    throw new Error(
      `floor log command ended ${JSON.stringify(result)} after ${received} of ${bytes} bytes`,
    );
  }
  return bytes / mebibyte / ((doneAt - firstStampAt) / 1000);
}

export const logCapture: Benchmark = {
  id: 'logs',
  title: '5. Log capture (release command printing 100-byte lines)',
  async run(context) {
    const { options, client, section } = context;
    // BENCH_LOG_MIB sizes the output differently, e.g. to see whether the worker's memory stays flat.
    const sizeOverride = Number(process.env.BENCH_LOG_MIB);
    const requested =
      Number.isFinite(sizeOverride) && sizeOverride > 0
        ? Math.round(sizeOverride * mebibyte)
        : pick(options, { smoke: 1 * mebibyte, full: 100 * mebibyte });
    const every = pick(options, { smoke: 100, full: 1000 });
    const rounds = pick(options, { smoke: 1, full: 3 });
    const timeoutMs = pick(options, { smoke: 2 * 60_000, full: 10 * 60_000 });
    // log-flood.sh prints whole blocks of `every` lines plus a last stamp line.
    const blocks = Math.ceil(requested / lineBytes / every);
    const bytes = (blocks * every + 1) * lineBytes;
    // The pause lets the follower connect before the first line is printed.
    const commandText = `sleep 1; exec /fixture/bin/log-flood.sh ${requested} ${every}`;
    await client.createApp('logs-warm-up');
    await client.createApp('logs', { releaseCommands: [commandText] });

    const throughputs: number[] = [];
    const floorThroughputs: number[] = [];
    const peaks: number[] = [];
    const idles: number[] = [];
    const delayP50: number[] = [];
    const delayP99: number[] = [];
    const seen: number[] = [];
    const rowsPerMiB: number[] = [];
    for (let round = 0; round < rounds; round++) {
      context.progress(
        `round ${round + 1}/${rounds}: ${(bytes / mebibyte).toFixed(0)} MB through Slipway`,
      );
      const rowsBefore = await logChunkRowsInserted(context);
      const measured = await slipwayRound(context, { text: commandText, bytes }, round, timeoutMs);
      rowsPerMiB.push(((await logChunkRowsInserted(context)) - rowsBefore) / (bytes / mebibyte));
      throughputs.push(measured.throughput);
      peaks.push(measured.peakRssMiB);
      idles.push(measured.idleRssMiB);
      const sorted = [...measured.delays].sort((a, b) => a - b);
      delayP50.push(median(sorted));
      delayP99.push(percentile(sorted, 99));
      seen.push(measured.stampsSeen);
      context.progress(`round ${round + 1}/${rounds}: the same through the runtime alone`);
      floorThroughputs.push(await floorRound(context, commandText, bytes));
    }
    const mb = (bytes / mebibyte).toFixed(bytes >= 10 * mebibyte ? 0 : 1);
    section.add(`capture throughput, ${mb} MiB`, 'MiB/s', throughputs, {
      name: 'runtime only',
      values: floorThroughputs,
    });
    section.add('runtime only (output discarded)', 'MiB/s', floorThroughputs);
    section.add('worker peak RSS (VmHWM) during the run', 'MiB', peaks, {
      name: 'idle worker',
      values: idles,
    });
    section.add('log_chunks rows inserted per MiB printed', 'rows', rowsPerMiB);
    section.add('line printed -> seen by SSE follower: p50 of a round', 'ms', delayP50);
    section.add('line printed -> seen by SSE follower: p99 of a round', 'ms', delayP99);
    section.note(
      `Throughput: bytes over [first line printed, release step finished_at]. Delay: ${blocks + 1} STAMP lines per round (one every ${every} lines) carry the print time; the follower saw ${seen.join(', ')} of them: by design the stored log keeps the first and last 1 MiB of a step, so lines in between reach a follower only if it reads them before they are trimmed.`,
    );
  },
};
