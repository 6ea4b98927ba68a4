import { z } from 'zod';

export const releaseCommandsLabel = 'io.slipway.release-commands';

const declaredCommandsSchema = z
  .array(
    z.object({
      label: z.string().min(1).max(200),
      command: z.string().min(1).max(10000),
      timeoutSeconds: z.number().int().min(1).max(86400).optional(),
    }),
  )
  .max(100);

export type DeclaredCommand = z.infer<typeof declaredCommandsSchema>[number];

export type DeclaredCommandsResult =
  { ok: true; commands: DeclaredCommand[] } | { ok: false; error: string };

/** Commands an image declares for itself in its io.slipway.release-commands label. */
export function readDeclaredCommands(labels: Record<string, string>): DeclaredCommandsResult {
  const raw = labels[releaseCommandsLabel];
  if (raw === undefined || raw.trim() === '') return { ok: true, commands: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, error: `label ${releaseCommandsLabel} is not valid JSON` };
  }
  const result = declaredCommandsSchema.safeParse(parsed);
  if (!result.success) {
    const first = result.error.issues[0];
    const where =
      first === undefined ? '' : ` at ${first.path.join('.') || 'top level'}: ${first.message}`;
    return {
      ok: false,
      error: `label ${releaseCommandsLabel} must be a JSON array of {label, command}${where}`,
    };
  }
  return { ok: true, commands: result.data };
}
