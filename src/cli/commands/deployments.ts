import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { call } from '../context.js';
import { followDeployment } from '../follow-deployment.js';
import { printRecord, printTable, show } from '../output.js';
import type { Run } from '../run.js';
import { integer } from './settings.js';

interface DeployOptions {
  follow?: boolean;
  idempotencyKey?: string;
}

interface RollbackOptions extends DeployOptions {
  to?: string;
  runReleaseCommands?: boolean;
}

export function deploymentCommands(program: Command, run: Run): void {
  program
    .command('deploy <app> <image>')
    .description('deploy an image; with --follow, stream it and exit 0/1/3 by its outcome')
    .option('-f, --follow', 'stream the deployment until it ends')
    .option('--idempotency-key <key>', 'retries with the same key return the same deployment')
    .action(
      run(async (context, app: string, image: string, o: DeployOptions) => {
        const header =
          o.idempotencyKey === undefined ? {} : { 'idempotency-key': o.idempotencyKey };
        const deployment = await call(
          context.client.POST('/v1/apps/{app}/deployments', {
            params: { path: { app }, header },
            body: { image },
          }),
        );
        if (o.follow !== true) {
          show(context.output, deployment, (d) => {
            context.output.out(`${d.id}\n`);
            context.output.err(`deployment ${d.id} of ${d.app} is ${d.status}\n`);
          });
          return;
        }
        if (!context.output.json)
          context.output.out(`Deployment ${deployment.id} of ${app}: ${image}\n`);
        process.exitCode = await followDeployment(context, deployment.id);
      }),
    );
  program
    .command('rollback <app>')
    .description(
      'bring back an earlier release (default: the one before the live one); release commands are skipped unless --run-release-commands',
    )
    .option('--to <deployment>', 'the deployment whose release to bring back')
    .option('--run-release-commands', "run the target's release commands again")
    .option('-f, --follow', 'stream the rollback until it ends')
    .option('--idempotency-key <key>', 'retries with the same key return the same deployment')
    .action(
      run(async (context, app: string, o: RollbackOptions) => {
        const header =
          o.idempotencyKey === undefined ? {} : { 'idempotency-key': o.idempotencyKey };
        const deployment = await call(
          context.client.POST('/v1/apps/{app}/rollback', {
            params: { path: { app }, header },
            body: {
              ...(o.to === undefined ? {} : { to: o.to }),
              ...(o.runReleaseCommands === true ? { runReleaseCommands: true } : {}),
            },
          }),
        );
        if (o.follow !== true) {
          show(context.output, deployment, (d) => {
            context.output.out(`${d.id}\n`);
            context.output.err(
              `rollback ${d.id} of ${d.app} to ${d.rollbackOf ?? 'unknown'} is ${d.status}\n`,
            );
          });
          return;
        }
        if (!context.output.json) {
          context.output.out(
            `Rollback ${deployment.id} of ${app} to ${deployment.rollbackOf ?? 'unknown'}: ${deployment.image}\n`,
          );
        }
        process.exitCode = await followDeployment(context, deployment.id);
      }),
    );
  program
    .command('logs <deployment>')
    .description('the log of a deployment; --follow streams it live')
    .option('-f, --follow', 'stream until the deployment ends (exit 0/1/3 by its outcome)')
    .action(
      run(async (context, id: string, o: { follow?: boolean }) => {
        if (o.follow === true) {
          process.exitCode = await followDeployment(context, id);
          return;
        }
        const result = await context.client.GET('/v1/deployments/{id}/log', {
          params: { path: { id }, header: { accept: 'text/plain' } },
          parseAs: 'text',
        });
        if (!result.response.ok) await call(Promise.resolve(result));
        if (result.data === undefined) throw new CliError('the API sent no log');
        if (context.output.json) {
          const deployment = await call(
            context.client.GET('/v1/deployments/{id}', { params: { path: { id } } }),
          );
          show(context.output, { deployment, log: result.data }, () => undefined);
        } else context.output.out(result.data);
      }),
    );
  program
    .command('deployments <app>')
    .description('deployments of an application, newest first')
    .option('--limit <n>', 'at most this many (1-100)', integer)
    .action(
      run(async ({ client, output }, app: string, o: { limit?: number }) => {
        const page = await call(
          client.GET('/v1/apps/{app}/deployments', {
            params: { path: { app }, query: { limit: o.limit ?? 20 } },
          }),
        );
        show(output, page, ({ items }) => {
          printTable(
            output,
            ['id', 'status', 'image', 'created', 'finished'],
            items.map((d) => [d.id, d.status, d.image, d.createdAt, d.finishedAt]),
          );
        });
      }),
    );
  program
    .command('deployment <id>')
    .description('a deployment with its steps')
    .action(
      run(async ({ client, output }, id: string) => {
        const d = await call(client.GET('/v1/deployments/{id}', { params: { path: { id } } }));
        show(output, d, () => {
          printRecord(output, {
            id: d.id,
            app: d.app,
            image: d.image,
            status: d.status,
            reason: d.failureReason,
          });
          printTable(
            output,
            ['step', 'status', 'ms', 'exit'],
            d.steps.map((s) => [s.label, s.status, s.durationMs, s.exitCode]),
          );
        });
      }),
    );
  program
    .command('cancel <deployment>')
    .description('cancel a queued or running deployment')
    .action(
      run(async ({ client, output }, id: string) => {
        const d = await call(
          client.POST('/v1/deployments/{id}/cancel', { params: { path: { id } } }),
        );
        show(output, d, () => {
          output.out(`${d.status === 'cancelled' ? 'cancelled' : 'cancelling'} ${d.id}\n`);
        });
      }),
    );
}
