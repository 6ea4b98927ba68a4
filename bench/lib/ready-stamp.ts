/**
 * The web-ready-stamp fixture serves, at /ready-at, the wall-clock microsecond at which it began
 * listening; read once the container is up.
 */
export async function readReadyStamp(hostPort: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${hostPort}/ready-at`);
  const text = (await response.text()).trim();
  if (!response.ok || !/^\d{16}$/.test(text)) {
    throw new Error(`/ready-at on port ${hostPort} answered ${response.status} ${text}`);
  }
  return Number(text) / 1000;
}
