import type { Command } from 'commander';
import { call } from '../context.js';
import { printTable, show } from '../output.js';
import type { Run } from '../run.js';

export function tokenCommands(program: Command, run: Run): void {
  const tokens = program.command('tokens').description('API tokens (admin)');
  tokens
    .command('list', { isDefault: true })
    .description('tokens, never their secrets')
    .action(
      run(async ({ client, output }) => {
        const list = await call(client.GET('/v1/tokens'));
        show(output, list, ({ items }) => {
          printTable(
            output,
            ['id', 'name', 'scope', 'apps', 'prefix', 'last used'],
            items.map((t) => [t.id, t.name, t.scope, t.apps.join(','), t.prefix, t.lastUsedAt]),
          );
        });
      }),
    );
  tokens
    .command('create <name>')
    .description('create a token; its secret is shown once')
    .option('--deploy <apps...>', 'a deploy token for these apps (default: admin)')
    .action(
      run(async ({ client, output }, name: string, o: { deploy?: string[] }) => {
        const body =
          o.deploy === undefined
            ? { name, scope: 'admin' as const }
            : { name, scope: 'deploy' as const, apps: o.deploy };
        const created = await call(client.POST('/v1/tokens', { body }));
        show(output, created, (t) => {
          output.out(`${t.token}\n`);
          output.err(`created ${t.scope} token ${t.name} (${t.id}); the secret is shown once\n`);
        });
      }),
    );
  tokens
    .command('revoke <id>')
    .description('revoke a token, effective immediately')
    .action(
      run(async ({ client, output }, id: string) => {
        await call(client.DELETE('/v1/tokens/{id}', { params: { path: { id } } }));
        show(output, { revoked: id }, () => {
          output.out(`revoked ${id}\n`);
        });
      }),
    );
}
