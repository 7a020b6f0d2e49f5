// The manifest the seed writes last and fetch trusts to say which files to write where. fetch checks it
// before writing anything: a path from it must stay inside the target directory.
import { LLM_RUNTIMES, type ModelCacheManifest } from '@sentiment/crds';
import { z } from 'zod';

/** Why a manifest path is refused, or undefined when it is a plain relative path. */
export function unsafePathReason(path: string): string | undefined {
  if (path === '') return 'empty';
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return 'absolute';
  if (path.includes('\\') || path.includes('\0')) return 'a backslash or NUL in it';
  const segments = path.split('/');
  if (segments.includes('..')) return 'a ".." segment';
  if (segments.some((s) => s === '' || s === '.')) return 'an empty or "." segment';
  return undefined;
}

const schema = z.object({
  model: z.string().min(1),
  runtime: z.enum(LLM_RUNTIMES),
  revision: z.string().min(1),
  files: z.array(z.object({ path: z.string(), size: z.number().int().min(0) })),
  seededAt: z.string(),
});

/** Parses and checks a manifest's JSON; throws naming what is wrong (a bad path first of all). */
export function parseManifest(text: string, where: string): ModelCacheManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success)
    throw new Error(
      `${where} is not a model cache manifest: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  for (const { path } of result.data.files) {
    const reason = unsafePathReason(path);
    if (reason) throw new Error(`${where} lists ${JSON.stringify(path)}: refused (${reason})`);
  }
  return result.data;
}
