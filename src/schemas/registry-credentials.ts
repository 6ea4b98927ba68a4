import { z } from 'zod';
import { isValidRegistryServer, registryServerPattern } from '../domain/registry-server.js';
import { safeText } from './text.js';

const serverSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(
    registryServerPattern,
    'must be a registry host such as registry.example.com, 127.0.0.1:5000 or docker.io',
  )
  .refine(isValidRegistryServer, 'the port must be 1–65535')
  .describe('Registry the credentials are for; they are only ever sent to this registry');

export const setRegistryCredentialsSchema = z
  .object({
    server: serverSchema,
    username: safeText({ min: 1, max: 255 }),
    password: safeText({ min: 1, max: 4096 }).describe(
      'Encrypted at rest and never returned; masked as ***** in deployment logs',
    ),
  })
  .strict()
  .meta({ id: 'SetRegistryCredentials' });

export const registryCredentialsSchema = z
  .object({
    server: z.string(),
    username: z.string(),
    passwordSet: z.literal(true).describe('The password is stored; it is never returned'),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'RegistryCredentials' });

export type SetRegistryCredentials = z.infer<typeof setRegistryCredentialsSchema>;
export type RegistryCredentialsView = z.infer<typeof registryCredentialsSchema>;
