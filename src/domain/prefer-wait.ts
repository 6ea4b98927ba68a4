/** The longest `Prefer: wait=N` honoured: a trigger never holds a connection longer. */
export const maxPreferWaitSeconds = 300;

/**
 * The `wait` preference of a Prefer header (RFC 7240): the seconds to wait, null when the
 * header has no `wait` preference, or 'invalid' for a value that is not 0-300 whole seconds.
 * Other preferences (e.g. respond-async) are ignored, as the RFC asks.
 */
export function preferredWaitSeconds(header: string | undefined): number | null | 'invalid' {
  if (header === undefined) return null;
  for (const preference of header.split(',')) {
    const [token = ''] = preference.split(';');
    const [name = '', value] = token.split('=', 2).map((part) => part.trim());
    if (name.toLowerCase() !== 'wait') continue;
    const unquoted = value?.replace(/^"(.*)"$/, '$1');
    if (unquoted === undefined || !/^\d{1,6}$/.test(unquoted)) return 'invalid';
    const seconds = Number(unquoted);
    return seconds > maxPreferWaitSeconds ? 'invalid' : seconds;
  }
  return null;
}
