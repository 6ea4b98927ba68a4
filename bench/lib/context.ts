import type { Floor } from './docker-floor.js';
import type { BenchEnvironment } from './environment.js';
import type { BenchOptions } from './options.js';
import type { SectionRecorder } from './report.js';
import type { ApiProcess, SlipwayClient } from './slipway.js';

/** What every benchmark gets: a running API, the run's environment, the floor, a recorder. */
export interface BenchContext {
  options: BenchOptions;
  env: BenchEnvironment;
  api: ApiProcess;
  client: SlipwayClient;
  floor: Floor;
  section: SectionRecorder;
  progress: (text: string) => void;
}

export interface Benchmark {
  id: string;
  title: string;
  run: (context: BenchContext) => Promise<void>;
}
