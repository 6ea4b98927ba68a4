/**
 * Finds anonymous volumes left behind by removed containers of one Slipway instance. Docker keeps
 * no link from a dangling volume to the container that made it, so the engine's event log is
 * read instead: which containers of the instance were created (their labels are on the event),
 * which volumes they mounted, and which of those still exist with no container using them.
 * Unlike `docker volume ls -f dangling=true`, this cannot be confused by other tests (or other
 * people) creating volumes on the same engine at the same time.
 */
import { labelKeys } from '../../src/docker/container-labels.js';
import { dockerCli } from './docker-fixtures.js';

interface EngineEvent {
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

async function events(since: number, filters: string[]): Promise<EngineEvent[]> {
  // Whole seconds with a margin: the engine compares the event times at second granularity.
  const until = Math.ceil(Date.now() / 1000) + 1;
  const args = ['events', '--since', String(Math.floor(since / 1000) - 1), '--until'];
  args.push(String(until), '--format', '{{json .}}');
  for (const filter of filters) args.push('--filter', filter);
  const output = await dockerCli(args);
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EngineEvent);
}

/** Volumes mounted since `since` (ms) by containers labelled as `instance`. */
export async function volumesOfInstance(instance: string, since: number): Promise<Set<string>> {
  const created = await events(since, [
    'type=container',
    'event=create',
    `label=${labelKeys.instance}=${instance}`,
  ]);
  const containers = new Set(created.map((event) => event.Actor?.ID));
  const mounts = await events(since, ['type=volume', 'event=mount']);
  const volumes = new Set<string>();
  for (const mount of mounts) {
    const volume = mount.Actor?.ID;
    if (volume !== undefined && containers.has(mount.Actor?.Attributes?.container)) {
      volumes.add(volume);
    }
  }
  return volumes;
}

/** Of the instance's volumes since `since` (ms), those that exist and no container uses. */
export async function leakedVolumes(instance: string, since: number): Promise<string[]> {
  const leaked: string[] = [];
  for (const volume of await volumesOfInstance(instance, since)) {
    const exists = await dockerCli(['volume', 'inspect', volume]).then(
      () => true,
      (error: unknown) => {
        if (String(error).includes('no such volume')) return false;
        throw error;
      },
    );
    if (!exists) continue;
    const users = await dockerCli(['ps', '-aq', '--filter', `volume=${volume}`]);
    if (users.trim() === '') leaked.push(volume);
  }
  return leaked;
}
