// The Hugging Face Hub's two HTTP endpoints the seed uses (a repository's file list at a commit, and a
// file's bytes), and which of a repository's files a runtime needs. HF_ENDPOINT points them elsewhere, as
// it does for huggingface_hub.
import { HF_TOKEN_KEY, type LlmRuntime } from '@sentiment/crds';

export interface HubFile {
  /** The path in the repository (`rfilename`). */
  path: string;
  /** Absent when the Hub lists no size (it does with `?blobs=true`). */
  size?: number;
}

export interface HubRevision {
  /** The commit `main` points at: every file is read at it, so a push during the seed cannot mix commits. */
  sha: string;
  files: HubFile[];
}

export interface HubClient {
  endpoint: string;
  token: string | undefined;
  signal?: AbortSignal;
}

export class HubError extends Error {
  override name = 'HubError';
}

/** The error for a refused or failed Hub request, saying what to do where there is something to do. */
function hubError(repo: string, status: number, what: string): HubError {
  if (status === 401 || status === 403)
    return new HubError(
      `${repo} is gated or private on the Hub (HTTP ${status} for ${what}): a Hugging Face token of an account ` +
        `that has accepted the model's licence goes into the platform's LLM Secret (key ${HF_TOKEN_KEY})`,
    );
  if (status === 404) return new HubError(`no such model on the Hub: ${repo} (HTTP 404 for ${what})`);
  return new HubError(`the Hub answered HTTP ${status} for ${what} of ${repo}`);
}

function headers(client: HubClient): Record<string, string> {
  return client.token ? { authorization: `Bearer ${client.token}` } : {};
}

/** The commit of `main` and its files with their sizes. */
export async function resolveRevision(client: HubClient, repo: string): Promise<HubRevision> {
  const res = await fetch(`${client.endpoint}/api/models/${repo}/revision/main?blobs=true`, {
    headers: headers(client),
    signal: client.signal,
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw hubError(repo, res.status, 'the model information');
  }
  const body = (await res.json()) as { sha?: unknown; siblings?: { rfilename?: unknown; size?: unknown }[] };
  if (typeof body.sha !== 'string' || !Array.isArray(body.siblings))
    throw new HubError(`the Hub's answer for ${repo} has no commit or file list`);
  const files = body.siblings.flatMap((s) =>
    typeof s.rfilename === 'string'
      ? [{ path: s.rfilename, ...(typeof s.size === 'number' && { size: s.size }) }]
      : [],
  );
  return { sha: body.sha, files };
}

/**
 * A file's bytes at `sha`, with its length when the answer gives one. The Hub redirects to a CDN on
 * another origin; fetch drops the Authorization header on such a redirect, so the token stays with the Hub.
 */
export async function downloadFile(
  client: HubClient,
  repo: string,
  sha: string,
  path: string,
): Promise<{ body: ReadableStream<Uint8Array>; length: number | undefined }> {
  const url = `${client.endpoint}/${repo}/resolve/${sha}/${path.split('/').map(encodeURIComponent).join('/')}`;
  const res = await fetch(url, { headers: headers(client), redirect: 'follow', signal: client.signal });
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw hubError(repo, res.status, path);
  }
  // A compressed answer's Content-Length counts the compressed bytes, not those fetch hands over.
  const encoding = res.headers.get('content-encoding');
  const length = encoding && encoding !== 'identity' ? null : res.headers.get('content-length');
  return { body: res.body, length: length === null ? undefined : Number(length) };
}

const GGUF = /\.gguf$/i;
/** A split GGUF's suffix (`-00001-of-00003`): every part is taken, and the quant precedes it. */
const SPLIT = /-\d{5}-of-\d{5}$/;
/** vllm's files besides the weights: configs, tokenizers, chat templates. */
const VLLM_EXTRAS = [/\.json$/, /^tokenizer\.model$/, /\.tiktoken$/, /\.txt$/, /\.jinja$/];
/** Pickles and code vllm never reads (and that must not be run): left out whatever else matches. */
const VLLM_NEVER = /\.(pt|pth|py)$/;

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** The quantisations a repository's GGUF files offer, from their names (`…-Q4_K_M.gguf` → Q4_K_M). */
export function ggufQuants(files: readonly HubFile[]): string[] {
  const quants = new Set<string>();
  for (const { path } of files) {
    const name = baseName(path);
    if (!GGUF.test(name) || /mmproj/i.test(name)) continue;
    const stem = name.replace(GGUF, '').replace(SPLIT, '');
    quants.add((stem.split(/[-.]/).pop() ?? stem).toUpperCase());
  }
  return [...quants].sort();
}

/** Whether a GGUF file name carries `quant` as a whole word: Q4_K must not take Q4_K_M's and Q4_K_S's files. */
function hasQuant(name: string, quant: string): boolean {
  const escaped = quant.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9])${escaped}($|[^A-Za-z0-9_])`, 'i').test(name);
}

/**
 * The files `runtime` loads, sorted by path. vllm: the top-level safetensors (the .bin weights only
 * without them) and the configs and tokenizer; folders are left out (Llama repositories carry an
 * `original/` copy of the weights as .pth, many GB vllm never reads). llama-cpp: the GGUF files of
 * `quant` in any folder, every part of a split file, without the multimodal projector (mmproj).
 */
export function selectFiles(files: readonly HubFile[], runtime: LlmRuntime, quant?: string): HubFile[] {
  const byPath = (a: HubFile, b: HubFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  if (runtime === 'llama-cpp') {
    if (!quant) throw new Error('llama-cpp needs a quantisation');
    const chosen = files.filter(({ path }) => {
      const name = baseName(path);
      return GGUF.test(name) && !/mmproj/i.test(name) && hasQuant(name, quant);
    });
    if (chosen.length === 0) {
      const available = ggufQuants(files);
      throw new HubError(
        `no ${quant} GGUF file in the repository; ` +
          (available.length ? `quantisations available: ${available.join(', ')}` : 'it has no GGUF files'),
      );
    }
    return chosen.sort(byPath);
  }
  const top = files.filter(({ path }) => !path.includes('/') && !VLLM_NEVER.test(path));
  const safetensors = top.filter(({ path }) => path.endsWith('.safetensors'));
  const weights = safetensors.length ? safetensors : top.filter(({ path }) => path.endsWith('.bin'));
  if (weights.length === 0)
    throw new HubError('no weights for vllm in the repository (no top-level .safetensors or .bin files)');
  const extras = top.filter(({ path }) => VLLM_EXTRAS.some((re) => re.test(path)));
  return [...weights, ...extras].sort(byPath);
}
