import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { call } from '../context.js';
import { printTable, show } from '../output.js';
import type { Run } from '../run.js';
import { readSecret } from '../stdin.js';

export function envCommands(program: Command, run: Run): void {
  const env = program.command('env').description('environment variables and secrets');
  env
    .command('list <app>', { isDefault: true })
    .description('variables by name (secret values are never shown)')
    .action(
      run(async ({ client, output }, app: string) => {
        const list = await call(client.GET('/v1/apps/{app}/env', { params: { path: { app } } }));
        show(output, list, ({ items }) => {
          printTable(
            output,
            ['name', 'value', 'updated'],
            items.map((v) => [v.name, v.secret ? '***** (secret)' : v.value, v.updatedAt]),
          );
        });
      }),
    );
  env
    .command('set <app> <name> [value]')
    .description('set a variable; without [value] (always with --secret) it is read from stdin')
    .option('--secret', 'encrypted at rest, never returned, masked in logs')
    .action(
      run(async (context, app: string, name: string, value: string | undefined, o: Secret) => {
        const secret = o.secret === true;
        if (secret && value !== undefined) {
          // A value in argv would land in shell history and `ps`; refuse rather than leak it.
          throw new CliError('with --secret the value is read from standard input, not argv');
        }
        const given = value ?? (await readSecret(`value of ${name} (hidden): `));
        const set = await call(
          context.client.PUT('/v1/apps/{app}/env/{name}', {
            params: { path: { app, name } },
            body: { value: given, secret },
          }),
        );
        show(context.output, set, (v) => {
          context.output.out(`set ${v.name}${v.secret ? ' (secret)' : ''}\n`);
        });
      }),
    );
  env
    .command('unset <app> <name>')
    .description('delete a variable')
    .action(
      run(async ({ client, output }, app: string, name: string) => {
        await call(client.DELETE('/v1/apps/{app}/env/{name}', { params: { path: { app, name } } }));
        show(output, { deleted: name }, () => {
          output.out(`unset ${name}\n`);
        });
      }),
    );
}

interface Secret {
  secret?: boolean;
}
