#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { apiVersion } from '../http/api-version.js';
import { describeError, exitCodes } from './cli-error.js';
import { appsCommands } from './commands/apps.js';
import { auditCommand } from './commands/audit.js';
import { deploymentCommands } from './commands/deployments.js';
import { envCommands } from './commands/env.js';
import { loginCommand } from './commands/login.js';
import { releaseCommandCommands } from './commands/release-commands.js';
import { settingsCommands } from './commands/settings.js';
import { tokenCommands } from './commands/tokens.js';
import { createRun } from './run.js';

const program = new Command('slipway')
  .description('Deploy images with Slipway and follow them (SLIPWAY_URL, SLIPWAY_TOKEN)')
  .version(apiVersion)
  .option('--json', 'print JSON for scripts instead of tables')
  .option('--url <url>', 'the API address (overrides SLIPWAY_URL and the config file)')
  .exitOverride()
  .showHelpAfterError();

const run = createRun(program);
loginCommand(program);
appsCommands(program, run);
settingsCommands(program, run);
releaseCommandCommands(program, run);
envCommands(program, run);
tokenCommands(program, run);
auditCommand(program, run);
deploymentCommands(program, run);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and --version "fail" with code 0; real usage errors were already explained.
    process.exitCode = error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  } else {
    process.stderr.write(`${describeError(error)}\n`);
    process.exitCode = exitCodes.failed;
  }
}
// A stopped stream or a prompt on stdin may still hold the event loop; the command is done.
// (stdout and stderr are synchronous for files, pipes and terminals on Linux and macOS.)
process.exit();
