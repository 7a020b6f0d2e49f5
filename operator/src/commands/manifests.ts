// What the manifest-reading commands (render, cost) share: option parsing with their help text, reading
// SentimentPlatforms from -f files or stdin, and one way to report mistakes with the right exit code.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { API_GROUP, API_VERSION, InvalidSpecError, KIND, type SentimentPlatform } from '@sentiment/crds';

/** A usage mistake (exit 2, followed by the help) or a bad manifest (exit 1). */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** The SentimentPlatform documents of a YAML stream; anything else is an error worth stopping for. */
export function parsePlatforms(text: string, source: string): SentimentPlatform[] {
  const platforms: SentimentPlatform[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const o = value as Partial<SentimentPlatform>;
    if (o.apiVersion !== `${API_GROUP}/${API_VERSION}` || o.kind !== KIND) {
      throw new Error(
        `${source}: expected ${API_GROUP}/${API_VERSION} ${KIND}, found ${String(o.apiVersion)} ${String(o.kind)}`,
      );
    }
    if (!o.metadata?.name) throw new Error(`${source}: a ${KIND} without metadata.name`);
    platforms.push({ ...(o as SentimentPlatform), spec: o.spec ?? {} });
  }
  return platforms;
}

/** Every SentimentPlatform of the -f files ("-" reads stdin), with the file it came from. */
export function readManifests(files: string[] | undefined): { file: string; platform: SentimentPlatform }[] {
  if (!files?.length) throw new CommandError('-f FILE is required', 2);
  return files.flatMap((file) => {
    try {
      return parsePlatforms(readFileSync(file === '-' ? 0 : file, 'utf8'), file).map((platform) => ({
        file,
        platform,
      }));
    } catch (err) {
      throw new CommandError((err as Error).message, 1);
    }
  });
}

/** fn's result; an invalid spec becomes a bad-manifest error naming the file and the platform. */
export function checked<T>(file: string, platform: SentimentPlatform, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InvalidSpecError)
      throw new CommandError(`${file}: ${platform.metadata.name}: ${err.message}`, 1);
    throw err;
  }
}

/** parseArgs, with a mistake reported as a usage error. */
export function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new CommandError((err as Error).message, 2);
  }
}

/** Runs a command body; a CommandError prints as `<command>: <message>` (with the help for usage errors). */
export async function runCommand(
  name: string,
  help: string,
  body: () => number | Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    process.stderr.write(`${name}: ${err.message}\n${err.exitCode === 2 ? `\n${help}` : ''}`);
    return err.exitCode;
  }
}
