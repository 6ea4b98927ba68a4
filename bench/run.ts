/**
 * `npm run bench`: Slipway's overhead over Docker, measured side by side in one run. Prints a
 * table and writes bench/results/<time>.json (smoke mode: bench/results/smoke.json.tmp).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiMemory } from './api-memory.js';
import { apiThroughput } from './api-throughput.js';
import { concurrency } from './concurrency.js';
import { deploymentOverhead } from './deployment-overhead.js';
import { ingress } from './ingress.js';
import type { Benchmark } from './lib/context.js';
import { createFloor } from './lib/docker-floor.js';
import { createBenchEnvironment, repoRoot, type BenchEnvironment } from './lib/environment.js';
import { parseOptions } from './lib/options.js';
import { renderTable, SectionRecorder, type BenchmarkSection } from './lib/report.js';
import { createClient, startApi } from './lib/slipway.js';
import { collectVersions, describeMachine } from './lib/versions.js';
import { logCapture } from './log-capture.js';
import { queueLatency } from './queue-latency.js';
import { readiness } from './readiness.js';
import { sqlStatements } from './sql-statements.js';
import { rollbackBench } from './rollback.js';

const benchmarks: Benchmark[] = [
  deploymentOverhead,
  readiness,
  queueLatency,
  apiThroughput,
  logCapture,
  concurrency,
  sqlStatements,
  apiMemory,
  ingress,
  rollbackBench,
];

const progress = (text: string) => {
  process.stderr.write(`bench: ${text}\n`);
};

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const unknown = options.only.filter((id) => !benchmarks.some((benchmark) => benchmark.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark ${unknown.join(', ')} (known: ${benchmarks.map((b) => b.id).join(', ')})`,
    );
  }
  const selected = benchmarks.filter(
    (benchmark) => options.only.length === 0 || options.only.includes(benchmark.id),
  );
  const startedAt = new Date();
  const machineAtStart = describeMachine();
  progress(
    `${options.smoke ? 'smoke' : 'full'} run on ${machineAtStart.cpus} CPUs, load average ${machineAtStart.loadAverage.join(' ')}`,
  );

  const env = await createBenchEnvironment(progress);
  // Ctrl-C or a kill still removes the run's containers, database and Redis keys.
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: cleaning up`);
    void env.cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A bug in a benchmark must not leave processes, containers or the database behind either.
  const onCrash = (error: unknown) => {
    progress(`crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (interrupted) return;
    interrupted = true;
    void env.cleanUp().finally(() => process.exit(1));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  const sections: BenchmarkSection[] = [];
  let versions: Record<string, string> = {};
  const problems: string[] = [];
  try {
    await runAll(env, selected, options, sections);
    versions = await collectVersions(env);
  } catch (error) {
    problems.push(describeError(error));
  } finally {
    problems.push(...(await env.cleanUp()));
  }

  const table = renderTable(sections);
  process.stdout.write(`${table}\n`);
  const failures = sections.filter((section) => section.error !== null);
  const report = {
    mode: options.smoke ? 'smoke' : 'full',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...describeMachine(), loadAverageAtStart: machineAtStart.loadAverage },
    versions,
    sections,
    problems,
  };
  const file = writeReport(report, options.smoke, startedAt);
  process.stdout.write(`\nresults: ${file}\n`);
  for (const problem of problems) process.stderr.write(`bench: problem: ${problem}\n`);
  return failures.length > 0 || problems.length > 0 ? 1 : 0;
}

async function runAll(
  env: BenchEnvironment,
  selected: readonly Benchmark[],
  options: ReturnType<typeof parseOptions>,
  sections: BenchmarkSection[],
): Promise<void> {
  const api = await startApi(env);
  const client = createClient(api.baseUrl, env.adminToken);
  const floor = createFloor(env.runId);
  for (const benchmark of selected) {
    const section = new SectionRecorder(benchmark.title);
    const started = performance.now();
    let error: string | null = null;
    progress(`running ${benchmark.id}`);
    try {
      await benchmark.run({
        options,
        env,
        api,
        client,
        floor,
        section,
        progress: (text) => {
          progress(`${benchmark.id}: ${text}`);
        },
      });
    } catch (failure) {
      error = describeError(failure);
      progress(`${benchmark.id} FAILED: ${error}`);
    }
    sections.push({
      id: benchmark.id,
      title: benchmark.title,
      rows: section.rows,
      notes: section.notes,
      error,
      durationMs: performance.now() - started,
    });
  }
  await api.child.stop();
}

function writeReport(report: unknown, smoke: boolean, startedAt: Date): string {
  const directory = join(repoRoot, 'bench/results');
  mkdirSync(directory, { recursive: true });
  const name = smoke
    ? 'smoke.json.tmp'
    : `${startedAt.toISOString().replaceAll(':', '-').slice(0, 19)}.json`;
  const file = join(directory, name);
  // Written whole then renamed, so an interrupted run never leaves half a file under that name.
  writeFileSync(`${file}.partial.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${file}.partial.tmp`, file);
  return file;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
