import { pino, type Logger } from 'pino';

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    // Credentials must never reach the logs, even when a request carries them.
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  });
}
