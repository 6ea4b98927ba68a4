import { CliError } from './cli-error.js';

const maxBytes = 256 * 1024;

/**
 * A secret from standard input, so it stays out of argv and shell history: all of a pipe or file
 * (one trailing newline removed), or one line typed at a terminal without echo.
 */
export async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  const value = stdin.isTTY ? await readHiddenLine(prompt) : await readAll();
  if (value === '') throw new CliError('no value on standard input');
  return value;
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) throw new CliError(`standard input is over ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function readHiddenLine(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (error: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error === null) resolve(line);
      else reject(error);
    };
    const onData = (text: string) => {
      for (const char of text) {
        if (char === '\r' || char === '\n') {
          done(null);
          return;
        }
        if (char === '\u0003') {
          done(new CliError('interrupted'));
          return;
        }
        if (char === '\u007f') line = line.slice(0, -1);
        else line += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
