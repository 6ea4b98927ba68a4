/** How big a run is: the full benchmark, or the smoke mode CI uses to keep the code working. */
export interface BenchOptions {
  smoke: boolean;
  /** Benchmark ids to run (all when empty), from `--only=a,b`. */
  only: string[];
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const only: string[] = [];
  let smoke = env.BENCH_SMOKE === '1' || env.BENCH_SMOKE === 'true';
  for (const arg of argv) {
    if (arg === '--smoke') smoke = true;
    else if (arg.startsWith('--only=')) only.push(...arg.slice('--only='.length).split(','));
    else throw new Error(`unknown argument ${arg} (known: --smoke, --only=id,id)`);
  }
  return { smoke, only: only.filter((id) => id !== '') };
}

/** Picks the smoke or the full value of a size or count. */
export function pick<T>(options: BenchOptions, sizes: { smoke: T; full: T }): T {
  return options.smoke ? sizes.smoke : sizes.full;
}
