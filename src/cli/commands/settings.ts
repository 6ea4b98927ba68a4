import { type Command, InvalidArgumentError } from 'commander';
import { call } from '../context.js';
import { printRecord, show } from '../output.js';
import type { Run } from '../run.js';

export function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('not an integer');
  return Number(value);
}

interface ProbeOptions {
  path?: string;
  startupTimeout?: number;
  probeTimeout?: number;
  maxRetries?: number;
  interval?: number;
}

export function settingsCommands(program: Command, run: Run): void {
  const settings = program.command('settings').description('deploy settings of an application');
  settings
    .command('show <app>', { isDefault: true })
    .description('all settings, defaults filled in')
    .action(
      run(async ({ client, output }, app: string) => {
        const all = await call(
          client.GET('/v1/apps/{app}/settings', { params: { path: { app } } }),
        );
        show(output, all, (s) => {
          printRecord(output, {
            port: s.webContainer.port ?? "(image's first EXPOSEd port)",
            replicas: s.webContainer.replicas,
            'drain timeout (s)': s.webContainer.drainTimeoutSeconds,
            'stop timeout (s)': s.webContainer.stopTimeoutSeconds,
            'retained releases': s.webContainer.retainReleases,
            'probe path': s.startupProbe.path,
            'startup timeout (s)': s.startupProbe.startupTimeoutSeconds,
            'probe timeout (s)': s.startupProbe.probeTimeoutSeconds,
            'max retries': s.startupProbe.maxRetries,
            'interval (ms)': s.startupProbe.intervalMs,
          });
        });
      }),
    );
  settings
    .command('set-port <app> <port>')
    .description('the web port (1-65535), or "image" for the first EXPOSEd port')
    .action(
      run(async ({ client, output }, app: string, port: string) => {
        const value = port === 'image' ? null : integer(port);
        const web = await call(
          client.PATCH('/v1/apps/{app}/settings/web-container', {
            params: { path: { app } },
            body: { port: value },
          }),
        );
        show(output, web, (w) => {
          output.out(`port: ${w.port ?? 'from the image'}\n`);
        });
      }),
    );
  settings
    .command('set-probe <app>')
    .description('change startup probe fields')
    .option('--path <path>', 'HTTP path to GET')
    .option('--startup-timeout <s>', 'startupTimeoutSeconds', integer)
    .option('--probe-timeout <s>', 'probeTimeoutSeconds', integer)
    .option('--max-retries <n>', 'maxRetries', integer)
    .option('--interval <ms>', 'intervalMs', integer)
    .action(
      run(async ({ client, output }, app: string, o: ProbeOptions) => {
        const body = {
          ...(o.path === undefined ? {} : { path: o.path }),
          ...(o.startupTimeout === undefined ? {} : { startupTimeoutSeconds: o.startupTimeout }),
          ...(o.probeTimeout === undefined ? {} : { probeTimeoutSeconds: o.probeTimeout }),
          ...(o.maxRetries === undefined ? {} : { maxRetries: o.maxRetries }),
          ...(o.interval === undefined ? {} : { intervalMs: o.interval }),
        };
        const probe = await call(
          client.PATCH('/v1/apps/{app}/settings/startup-probe', {
            params: { path: { app } },
            body,
          }),
        );
        show(output, probe, (p) => {
          printRecord(output, { ...p });
        });
      }),
    );
}
