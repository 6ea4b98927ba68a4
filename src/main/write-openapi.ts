import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderOpenApiDocument } from './openapi-document.js';

const target = join(import.meta.dirname, '../../openapi/openapi.json');

await mkdir(dirname(target), { recursive: true });
await writeFile(target, await renderOpenApiDocument());
process.stdout.write(`wrote ${target}\n`);
