import type { Command } from 'commander';
import { call } from '../context.js';
import { printTable, show } from '../output.js';
import type { Run } from '../run.js';
import { integer } from './settings.js';

type ReleaseCommandRow = { id: string; position: number; label: string; command: string } & {
  timeoutSeconds: number;
};

function rows(items: ReleaseCommandRow[]) {
  return items.map((c) => [c.position, c.id, c.label, c.timeoutSeconds, c.command]);
}
const columns = ['#', 'id', 'label', 'timeout', 'command'];

export function releaseCommandCommands(program: Command, run: Run): void {
  const commands = program
    .command('release-commands')
    .description('commands run in a fresh container before each release goes live');
  commands
    .command('list <app>', { isDefault: true })
    .description('in execution order')
    .action(
      run(async ({ client, output }, app: string) => {
        const list = await call(
          client.GET('/v1/apps/{app}/release-commands', { params: { path: { app } } }),
        );
        show(output, list, ({ items }) => {
          printTable(output, columns, rows(items));
        });
      }),
    );
  commands
    .command('add <app> <label> <command>')
    .description('append a release command')
    .option('--timeout <seconds>', 'timeoutSeconds (default 1800)', integer)
    .action(
      run(async ({ client, output }, app: string, label: string, command: string, o: Timeout) => {
        const body = { label, command, ...timeout(o) };
        const created = await call(
          client.POST('/v1/apps/{app}/release-commands', { params: { path: { app } }, body }),
        );
        show(output, created, (c) => {
          output.out(`added ${c.label} (${c.id}) at position ${c.position}\n`);
        });
      }),
    );
  commands
    .command('edit <app> <id>')
    .description('change a release command')
    .option('--label <label>', 'new label')
    .option('--command <command>', 'new command')
    .option('--timeout <seconds>', 'timeoutSeconds', integer)
    .action(
      run(async ({ client, output }, app: string, id: string, o: EditOptions) => {
        const body = {
          ...(o.label === undefined ? {} : { label: o.label }),
          ...(o.command === undefined ? {} : { command: o.command }),
          ...timeout(o),
        };
        const changed = await call(
          client.PATCH('/v1/apps/{app}/release-commands/{id}', {
            params: { path: { app, id } },
            body,
          }),
        );
        show(output, changed, (c) => {
          output.out(`changed ${c.label} (${c.id})\n`);
        });
      }),
    );
  commands
    .command('rm <app> <id>')
    .description('delete a release command')
    .action(
      run(async ({ client, output }, app: string, id: string) => {
        await call(
          client.DELETE('/v1/apps/{app}/release-commands/{id}', { params: { path: { app, id } } }),
        );
        show(output, { deleted: id }, () => {
          output.out(`deleted ${id}\n`);
        });
      }),
    );
  commands
    .command('reorder <app> <ids...>')
    .description('set the execution order: every id, first to last')
    .action(
      run(async ({ client, output }, app: string, ids: string[]) => {
        const list = await call(
          client.PUT('/v1/apps/{app}/release-commands/order', {
            params: { path: { app } },
            body: { ids },
          }),
        );
        show(output, list, ({ items }) => {
          printTable(output, columns, rows(items));
        });
      }),
    );
}

interface Timeout {
  timeout?: number;
}
interface EditOptions extends Timeout {
  label?: string;
  command?: string;
}

function timeout(o: Timeout): { timeoutSeconds?: number } {
  return o.timeout === undefined ? {} : { timeoutSeconds: o.timeout };
}
