/**
 * HAProxy's runtime API (the admin socket), for the commands Slipway uses: host map entries,
 * server slot addresses and states, and the slot table and session counts to drain by. Each
 * command has a timeout and fails with an IngressError saying what HAProxy answered.
 */
import { checkAddress, type UpstreamAddress } from './endpoint.js';
import { IngressError } from './ingress-error.js';
import { sendCommand } from './runtime-socket.js';
import {
  parseServersState,
  parseStat,
  type ServerSlotState,
  type StatRow,
} from './runtime-parse.js';

export type ServerState = 'ready' | 'drain' | 'maint';

export interface MapEntry {
  key: string;
  value: string;
}

export interface RuntimeApiOptions {
  socketPath: string;
  /** Per command; default 2000 ms. */
  timeoutMs?: number;
}

// A value on the command line must be one word: a space or line break would start another
// argument or another command.
const word = /^[\x21-\x7e]+$/;

function arg(value: string, what: string): string {
  if (!word.test(value)) {
    throw new IngressError('INGRESS_INVALID_ARGUMENT', `${what} must be one printable word`);
  }
  return value;
}

export function createRuntimeApi(options: RuntimeApiOptions) {
  const timeoutMs = options.timeoutMs ?? 2000;

  async function run(command: string): Promise<string> {
    return sendCommand(options.socketPath, command, timeoutMs);
  }

  /** For commands that answer nothing on success: any text is HAProxy's refusal. */
  async function runSilent(command: string, what: string): Promise<void> {
    const answer = (await run(command)).trim();
    if (answer !== '') throw refused(what, answer);
  }

  async function showMap(map: string): Promise<MapEntry[]> {
    const answer = await run(`show map ${arg(map, 'map')}`);
    if (/^Unknown map identifier/m.test(answer)) throw refused(`show map ${map}`, answer);
    return answer
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        // "0x55d1c2a0 <key> <value>": the pointer is HAProxy's, of no use here.
        const [, key = '', value = ''] = line.trim().split(/\s+/);
        return { key, value };
      });
  }

  /** Sets key → value, adding the entry when it is not there yet. */
  async function setMapEntry(map: string, key: string, value: string): Promise<void> {
    const line = `${arg(map, 'map')} ${arg(key, 'key')} ${arg(value, 'value')}`;
    const answer = (await run(`set map ${line}`)).trim();
    if (answer === '') return;
    if (answer !== 'entry not found.') throw refused(`set map ${map} ${key}`, answer);
    await runSilent(`add map ${line}`, `add map ${map} ${key}`);
  }

  /** Removes the entry; false when there was none (already removed is not an error). */
  async function deleteMapEntry(map: string, key: string): Promise<boolean> {
    const answer = (await run(`del map ${arg(map, 'map')} ${arg(key, 'key')}`)).trim();
    if (answer === '') return true;
    if (answer === 'Key not found.') return false;
    throw refused(`del map ${map} ${key}`, answer);
  }

  async function setServerAddress(
    backend: string,
    server: string,
    address: UpstreamAddress,
  ): Promise<void> {
    const { ip, port } = checkAddress(address);
    const target = `${arg(backend, 'backend')}/${arg(server, 'server')}`;
    const answer = (await run(`set server ${target} addr ${ip} port ${port}`)).trim();
    // Success is a sentence about what changed ("IP changed from …", "no need to change …").
    if (!/(changed|no need to change)/.test(answer)) {
      throw refused(`set server ${target} addr`, answer);
    }
  }

  async function setServerState(
    backend: string,
    server: string,
    state: ServerState,
  ): Promise<void> {
    const target = `${arg(backend, 'backend')}/${arg(server, 'server')}`;
    await runSilent(`set server ${target} state ${state}`, `set server ${target} state ${state}`);
  }

  async function showServersState(backend: string): Promise<ServerSlotState[]> {
    const answer = await run(`show servers state ${arg(backend, 'backend')}`);
    return parseServersState(answer, `show servers state ${backend}`);
  }

  async function showStat(): Promise<StatRow[]> {
    return parseStat(await run('show stat'));
  }

  /** The worker process's pid and HAProxy's version; also a cheap "is it up" probe. */
  async function showInfo(): Promise<{ pid: number; version: string }> {
    const answer = await run('show info');
    const pid = /^Pid: (\d+)$/m.exec(answer)?.[1];
    const version = /^Version: (.+)$/m.exec(answer)?.[1];
    if (pid === undefined || version === undefined) throw refused('show info', answer);
    return { pid: Number(pid), version };
  }

  return {
    showMap,
    setMapEntry,
    deleteMapEntry,
    setServerAddress,
    setServerState,
    showServersState,
    showStat,
    showInfo,
  };
}

export type RuntimeApi = ReturnType<typeof createRuntimeApi>;

function refused(what: string, answer: string): IngressError {
  const said = answer.split('\n')[0]?.trim() ?? '';
  return new IngressError(
    'INGRESS_COMMAND_FAILED',
    `HAProxy refused "${what}": ${said === '' ? 'no answer' : said}`,
  );
}
