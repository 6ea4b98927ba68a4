import type { Command } from 'commander';
import { call } from '../context.js';
import { printTable, show } from '../output.js';
import type { Run } from '../run.js';
import { integer } from './settings.js';

export function auditCommand(program: Command, run: Run): void {
  program
    .command('audit [app]')
    .description('the audit log, newest first (of one app, or all with an admin token)')
    .option('--limit <n>', 'at most this many (1-100)', integer)
    .action(
      run(async ({ client, output }, app: string | undefined, o: { limit?: number }) => {
        const query = { limit: o.limit ?? 50 };
        const page =
          app === undefined
            ? await call(client.GET('/v1/audit', { params: { query } }))
            : await call(client.GET('/v1/apps/{app}/audit', { params: { path: { app }, query } }));
        show(output, page, ({ items }) => {
          printTable(
            output,
            ['when', 'who', 'action', 'app', 'from'],
            items.map((e) => [e.occurredAt, e.actor.name, e.action, e.app, e.address]),
          );
        });
      }),
    );
}
