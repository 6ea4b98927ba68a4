import { AppError } from '../domain/errors.js';
import { assertIsPermutation } from '../domain/release-order.js';
import {
  maxReleaseCommandsPerApp,
  type CreateReleaseCommand,
  type ReleaseCommand,
  type UpdateReleaseCommand,
} from '../schemas/release-command.js';
import { appNotFound, type ApplicationService } from './application-service.js';
import type { ReleaseCommandRepository } from './ports.js';

function commandNotFound(app: string, id: string): AppError {
  return new AppError(
    'RELEASE_COMMAND_NOT_FOUND',
    `application "${app}" has no release command ${id}`,
  );
}

export function createReleaseCommandService(deps: {
  applications: Pick<ApplicationService, 'requireApp'>;
  releaseCommands: ReleaseCommandRepository;
}) {
  const { applications, releaseCommands } = deps;

  return {
    async list(app: string): Promise<ReleaseCommand[]> {
      const { id } = await applications.requireApp(app);
      return releaseCommands.list(id);
    },

    async get(app: string, id: string): Promise<ReleaseCommand> {
      const owner = await applications.requireApp(app);
      const command = await releaseCommands.find(owner.id, id);
      if (command === null) throw commandNotFound(app, id);
      return command;
    },

    async append(app: string, input: CreateReleaseCommand): Promise<ReleaseCommand> {
      const owner = await applications.requireApp(app);
      const created = await releaseCommands.append(owner.id, input, (count) => {
        if (count >= maxReleaseCommandsPerApp) {
          throw new AppError(
            'TOO_MANY_RELEASE_COMMANDS',
            `an application can have at most ${maxReleaseCommandsPerApp} release commands`,
          );
        }
      });
      // The app was deleted between the lookup and the insert.
      if (created === null) throw appNotFound(app);
      return created;
    },

    async update(app: string, id: string, patch: UpdateReleaseCommand): Promise<ReleaseCommand> {
      const owner = await applications.requireApp(app);
      const updated = await releaseCommands.update(owner.id, id, patch);
      if (updated === null) throw commandNotFound(app, id);
      return updated;
    },

    async remove(app: string, id: string): Promise<void> {
      const owner = await applications.requireApp(app);
      if (!(await releaseCommands.delete(owner.id, id))) throw commandNotFound(app, id);
    },

    async reorder(app: string, ids: readonly string[]): Promise<ReleaseCommand[]> {
      const owner = await applications.requireApp(app);
      const reordered = await releaseCommands.reorder(owner.id, ids, (currentIds) => {
        assertIsPermutation(currentIds, ids);
      });
      if (reordered === null) throw appNotFound(app);
      return reordered;
    },
  };
}

export type ReleaseCommandService = ReturnType<typeof createReleaseCommandService>;
