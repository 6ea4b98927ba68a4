/** Pure parsers of the runtime API's tables (kept apart so they are unit-tested on real samples). */
import { IngressError } from './ingress-error.js';

export type SlotAdmin = 'ready' | 'drain' | 'maint';

export interface ServerSlotState {
  backend: string;
  server: string;
  ip: string;
  port: number;
  admin: SlotAdmin;
}

export interface StatRow {
  proxy: string;
  server: string;
  /** Current sessions (scur): requests in flight on the server. */
  currentSessions: number;
  status: string;
}

// srv_admin_state bits (HAProxy's SRV_ADMF_*): FMAINT 0x01, IMAINT 0x02, (CMAINT 0x04 only
// records "configured disabled"), FDRAIN 0x08, IDRAIN 0x10, RMAINT 0x20, HMAINT 0x40.
const maintBits = 0x01 | 0x02 | 0x20 | 0x40;
const drainBits = 0x08 | 0x10;

function admin(bits: number): SlotAdmin {
  if ((bits & maintBits) !== 0) return 'maint';
  if ((bits & drainBits) !== 0) return 'drain';
  return 'ready';
}

/** "show servers state <backend>" (format version 1): a version line, a "#" header, rows. */
export function parseServersState(answer: string, what: string): ServerSlotState[] {
  const lines = answer.split('\n').map((line) => line.trim());
  const header = lines.find((line) => line.startsWith('# '));
  if (header === undefined) {
    const said = lines.find((line) => line !== '') ?? 'no answer';
    throw new IngressError('INGRESS_COMMAND_FAILED', `HAProxy refused "${what}": ${said}`);
  }
  const columns = header.slice(2).split(' ');
  const at = (name: string) => {
    const index = columns.indexOf(name);
    if (index < 0) throw new IngressError('INGRESS_COMMAND_FAILED', `${what}: no ${name} column`);
    return index;
  };
  const [backend, server, addr, adminState, port] = [
    at('be_name'),
    at('srv_name'),
    at('srv_addr'),
    at('srv_admin_state'),
    at('srv_port'),
  ];
  return lines
    .filter((line) => line !== '' && !line.startsWith('#') && line.includes(' '))
    .map((line) => {
      const cells = line.split(' ');
      return {
        backend: cells[backend] ?? '',
        server: cells[server] ?? '',
        ip: cells[addr] ?? '',
        port: Number(cells[port]),
        admin: admin(Number(cells[adminState])),
      };
    });
}

/** "show stat" CSV: a "# pxname,svname,…" header and one row per proxy and server. */
export function parseStat(answer: string): StatRow[] {
  const lines = answer.split('\n');
  const header = lines[0] ?? '';
  if (!header.startsWith('# ')) {
    throw new IngressError('INGRESS_COMMAND_FAILED', `HAProxy refused "show stat": ${header}`);
  }
  const columns = header.slice(2).split(',');
  const [proxy, server, scur, status] = ['pxname', 'svname', 'scur', 'status'].map((name) =>
    columns.indexOf(name),
  );
  return lines
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const cells = line.split(',');
      return {
        proxy: cells[proxy ?? -1] ?? '',
        server: cells[server ?? -1] ?? '',
        currentSessions: Number(cells[scur ?? -1] ?? 0) || 0,
        status: cells[status ?? -1] ?? '',
      };
    });
}
