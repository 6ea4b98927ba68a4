import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { parseDockerConfig, type DockerConfig } from './registry-auth.js';

export interface DockerConfigLocation {
  env: Record<string, string | undefined>;
  homeDir: string;
}

/**
 * Loads registry credentials from where docker-based tools look for them: DOCKER_AUTH_CONFIG
 * (config.json content, as CI systems set it), else $DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json. Null when none of them exists; throws when the one found is unusable.
 */
export async function loadDockerConfig(
  location: DockerConfigLocation = { env: process.env, homeDir: homedir() },
): Promise<DockerConfig | null> {
  const inline = location.env.DOCKER_AUTH_CONFIG;
  if (inline !== undefined && inline.trim() !== '') {
    return parseDockerConfig(inline, 'DOCKER_AUTH_CONFIG');
  }
  const configDir = location.env.DOCKER_CONFIG;
  const path =
    configDir !== undefined && configDir !== ''
      ? join(configDir, 'config.json')
      : join(location.homeDir, '.docker', 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isMissingFile(error)) return null;
    throw new Error(`cannot read ${path}`, { cause: error });
  }
  return parseDockerConfig(text, path);
}

function isMissingFile(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
