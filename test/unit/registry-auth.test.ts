import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { loadDockerConfig } from '../../src/docker/docker-config-file.js';
import {
  credentialsForRegistry,
  normalizeRegistryHost,
  parseDockerConfig,
  parseImageReference,
  type DockerConfig,
} from '../../src/docker/registry-auth.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('parseImageReference', () => {
  it.each([
    ['nginx', 'nginx', 'docker.io', 'library/nginx', null, null],
    ['nginx:1.27', 'nginx', 'docker.io', 'library/nginx', '1.27', null],
    ['team/app:v2', 'team/app', 'docker.io', 'team/app', 'v2', null],
    [
      'docker.io/library/nginx',
      'docker.io/library/nginx',
      'docker.io',
      'library/nginx',
      null,
      null,
    ],
    ['index.docker.io/team/app', 'index.docker.io/team/app', 'docker.io', 'team/app', null, null],
    [
      '127.0.0.1:5000/slipway-test/web:v1',
      '127.0.0.1:5000/slipway-test/web',
      '127.0.0.1:5000',
      'slipway-test/web',
      'v1',
      null,
    ],
    ['localhost/app', 'localhost/app', 'localhost', 'app', null, null],
    [
      'ghcr.io/org/sub/app@' + DIGEST,
      'ghcr.io/org/sub/app',
      'ghcr.io',
      'org/sub/app',
      null,
      DIGEST,
    ],
    ['registry:5000/app:v1@' + DIGEST, 'registry:5000/app', 'registry:5000', 'app', 'v1', DIGEST],
    [
      'Registry.Example.COM/app',
      'Registry.Example.COM/app',
      'registry.example.com',
      'app',
      null,
      null,
    ],
  ])('parses %s', (reference, name, registry, repository, tag, digest) => {
    expect(parseImageReference(reference)).toEqual({ name, registry, repository, tag, digest });
  });

  it('treats a first component without dot, colon or "localhost" as part of a Docker Hub path', () => {
    expect(parseImageReference('registry/app')).toMatchObject({
      registry: 'docker.io',
      repository: 'registry/app',
    });
  });

  it.each([
    '',
    'UPPER/case',
    'app:',
    'app:bad tag',
    'app@sha256:short',
    'app@' + DIGEST.replace('sha256:', ''),
    '/app',
    'app/',
    'host:5000/',
    'a//b',
    ' nginx',
    'nginx:-leading-dash',
  ])('rejects %j', (reference) => {
    expect(parseImageReference(reference)).toBeNull();
  });
});

describe('normalizeRegistryHost', () => {
  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['http://127.0.0.1:5000/v2/', '127.0.0.1:5000'],
    ['Registry.Example.com:443', 'registry.example.com:443'],
    ['ghcr.io', 'ghcr.io'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeRegistryHost(input)).toBe(expected);
  });
});

describe('credentialsForRegistry', () => {
  const config: DockerConfig = {
    auths: {
      'https://index.docker.io/v1/': { auth: base64('hub-user:hub:pass') },
      '127.0.0.1:5001': { auth: base64('slipway:secret') },
      'https://ghcr.io': { username: 'octo', password: 'token' },
      'helper-only.example.com': {},
    },
  };

  it('decodes the base64 auth field, splitting at the first colon only', () => {
    expect(credentialsForRegistry(config, '127.0.0.1:5001')).toEqual({
      serveraddress: '127.0.0.1:5001',
      username: 'slipway',
      password: 'secret',
    });
    expect(credentialsForRegistry(config, 'docker.io')?.password).toBe('hub:pass');
  });

  it('sends the Docker Hub address the engine expects', () => {
    expect(credentialsForRegistry(config, 'docker.io')).toEqual({
      serveraddress: 'https://index.docker.io/v1/',
      username: 'hub-user',
      password: 'hub:pass',
    });
  });

  it('matches keys written with a scheme, and explicit username/password fields', () => {
    expect(credentialsForRegistry(config, 'ghcr.io')).toEqual({
      serveraddress: 'ghcr.io',
      username: 'octo',
      password: 'token',
    });
  });

  it('returns null for a registry with no entry or with an entry that holds no credentials', () => {
    expect(credentialsForRegistry(config, '127.0.0.1:5000')).toBeNull();
    expect(credentialsForRegistry(config, 'helper-only.example.com')).toBeNull();
  });

  it('throws on an auth value that is not base64 of "user:password"', () => {
    const broken: DockerConfig = { auths: { 'r.example.com': { auth: base64('no-colon') } } };
    expect(() => credentialsForRegistry(broken, 'r.example.com')).toThrow(/r\.example\.com/);
  });
});

describe('parseDockerConfig', () => {
  it('keeps the auth fields and ignores the rest of the file', () => {
    const text = JSON.stringify({
      auths: { 'r.example.com': { auth: 'eDp5', email: 'x@example.com' } },
      credsStore: 'desktop',
    });
    expect(parseDockerConfig(text, 'test')).toEqual({
      auths: { 'r.example.com': { auth: 'eDp5' } },
    });
  });

  it('accepts a config without auths', () => {
    expect(parseDockerConfig('{}', 'test')).toEqual({ auths: {} });
  });

  it.each([
    ['not json', /source-name is not valid JSON/],
    ['[]', /must hold a JSON object/],
    ['{"auths": []}', /"auths" must be an object/],
    ['{"auths": {"r": "x"}}', /auths\["r"\] must be an object/],
    ['{"auths": {"r": {"auth": 1}}}', /auths\["r"\]\.auth must be a string/],
  ])('rejects %s', (text, message) => {
    expect(() => parseDockerConfig(text, 'source-name')).toThrow(message);
  });
});

describe('loadDockerConfig', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-docker-config-'));
    dirs.push(dir);
    return dir;
  };
  const writeConfig = async (dir: string, auths: DockerConfig['auths']) => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths }));
  };

  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('prefers DOCKER_AUTH_CONFIG over any file', async () => {
    const home = await tempDir();
    await writeConfig(join(home, '.docker'), { 'from-home': { auth: base64('a:b') } });
    const inline = JSON.stringify({ auths: { 'from-env': { auth: base64('c:d') } } });
    const config = await loadDockerConfig({ env: { DOCKER_AUTH_CONFIG: inline }, homeDir: home });
    expect(Object.keys(config?.auths ?? {})).toEqual(['from-env']);
  });

  it('reads $DOCKER_CONFIG/config.json before ~/.docker/config.json', async () => {
    const home = await tempDir();
    const configDir = await tempDir();
    await writeConfig(join(home, '.docker'), { 'from-home': { auth: base64('a:b') } });
    await writeConfig(configDir, { 'from-docker-config': { auth: base64('c:d') } });
    const config = await loadDockerConfig({ env: { DOCKER_CONFIG: configDir }, homeDir: home });
    expect(Object.keys(config?.auths ?? {})).toEqual(['from-docker-config']);
  });

  it('falls back to ~/.docker/config.json', async () => {
    const home = await tempDir();
    await writeConfig(join(home, '.docker'), { 'from-home': { auth: base64('a:b') } });
    const config = await loadDockerConfig({ env: {}, homeDir: home });
    expect(Object.keys(config?.auths ?? {})).toEqual(['from-home']);
  });

  it('returns null when there is no config at all', async () => {
    const home = await tempDir();
    await expect(loadDockerConfig({ env: {}, homeDir: home })).resolves.toBeNull();
  });

  it('fails loudly on a malformed file, naming it', async () => {
    const home = await tempDir();
    await mkdir(join(home, '.docker'));
    await writeFile(join(home, '.docker', 'config.json'), '{ nope');
    await expect(loadDockerConfig({ env: {}, homeDir: home })).rejects.toThrow(
      /\.docker\/config\.json is not valid JSON/,
    );
  });
});
