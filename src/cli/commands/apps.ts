import type { Command } from 'commander';
import { call } from '../context.js';
import { printRecord, printTable, show } from '../output.js';
import type { Run } from '../run.js';

export function appsCommands(program: Command, run: Run): void {
  const apps = program.command('apps').description('applications');
  apps
    .command('list', { isDefault: true })
    .description('list applications')
    .option('--limit <n>', 'at most this many (1-100)', parseInt)
    .action(
      run(async ({ client, output }, options: { limit?: number }) => {
        const page = await call(
          client.GET('/v1/apps', { params: { query: { limit: options.limit ?? 100 } } }),
        );
        show(output, page, ({ items }) => {
          printTable(
            output,
            ['name', 'description', 'created'],
            items.map((a) => [a.name, a.description, a.createdAt]),
          );
        });
      }),
    );
  apps
    .command('create <name>')
    .description('create an application')
    .option('--description <text>', 'what it is')
    .action(
      run(async ({ client, output }, name: string, options: { description?: string }) => {
        const body = { name, ...(options.description === undefined ? {} : options) };
        const app = await call(client.POST('/v1/apps', { body }));
        show(output, app, (a) => {
          output.out(`created ${a.name}\n`);
        });
      }),
    );
  apps
    .command('show <app>')
    .description('show an application')
    .action(
      run(async ({ client, output }, app: string) => {
        const found = await call(client.GET('/v1/apps/{app}', { params: { path: { app } } }));
        show(output, found, (a) => {
          printRecord(output, { ...a });
        });
      }),
    );
  apps
    .command('rename <app> <new-name>')
    .description('rename an application')
    .action(
      run(async ({ client, output }, app: string, name: string) => {
        const renamed = await call(
          client.PATCH('/v1/apps/{app}', { params: { path: { app } }, body: { name } }),
        );
        show(output, renamed, (a) => {
          output.out(`renamed ${app} to ${a.name}\n`);
        });
      }),
    );
  apps
    .command('delete <app>')
    .description('delete an application with its settings and history')
    .action(
      run(async ({ client, output }, app: string) => {
        await call(client.DELETE('/v1/apps/{app}', { params: { path: { app } } }));
        show(output, { deleted: app }, () => {
          output.out(`deleted ${app}\n`);
        });
      }),
    );
}
