// Sizing of the self-hosted LLM: do the model's weights fit the GPUs of its g5 instance type, and how long
// a context does the memory left after them hold? One function (sizeLlm) answers both, for the operator's
// validation (refuse what cannot start) and for synth (the server's context flags). Pure; estimates only.
import { GPU_NODE_INSTANCE_TYPES } from './labels.js';
import type { LlmRuntime } from './types.js';

/** The g5 sizes (AWS instance type table): vCPUs, host memory and NVIDIA A10G GPUs. */
export const G5_INSTANCE_TYPES: Readonly<Record<string, { vcpu: number; memGiB: number; gpus: number }>> = {
  'g5.xlarge': { vcpu: 4, memGiB: 16, gpus: 1 },
  'g5.2xlarge': { vcpu: 8, memGiB: 32, gpus: 1 },
  'g5.4xlarge': { vcpu: 16, memGiB: 64, gpus: 1 },
  'g5.8xlarge': { vcpu: 32, memGiB: 128, gpus: 1 },
  'g5.12xlarge': { vcpu: 48, memGiB: 192, gpus: 4 },
  'g5.16xlarge': { vcpu: 64, memGiB: 256, gpus: 1 },
  'g5.24xlarge': { vcpu: 96, memGiB: 384, gpus: 4 },
  'g5.48xlarge': { vcpu: 192, memGiB: 768, gpus: 8 },
};

/** GPU memory of one A10G: 24 GiB nominal, of which the driver exposes 23,028 MiB (nvidia-smi). */
export const A10G_MEMORY_BYTES = 23_028 * 2 ** 20;
/** Share of GPU memory the server may take (vLLM's --gpu-memory-utilization, its default). */
export const GPU_MEMORY_UTILIZATION = 0.9;
/** Per GPU, inside that share: activations at the largest batch, CUDA graphs, NCCL buffers. */
const RUNTIME_RESERVE_BYTES = 2 ** 30;
/** Below this many tokens of context the API's prompts (question + retrieved tickets) do not fit. */
export const MIN_CONTEXT_TOKENS = 2048;
/** Both servers keep the KV cache in fp16 by default, whatever the weights' quantization. */
const KV_BYTES_PER_ELEMENT = 2;

/** Shape of a known model: what the weights and the KV cache per token follow from. */
export interface ModelShape {
  parameters: number;
  layers: number;
  kvHeads: number;
  headDim: number;
  /** Context the model was trained for (max_position_embeddings). */
  maxContext: number;
}

// From each model's config.json on Hugging Face; matched anywhere in a model id or GGUF repo name.
const KNOWN_MODELS: readonly { name: string; pattern: RegExp; shape: ModelShape }[] = [
  {
    name: 'Llama-3.1-8B',
    pattern: /llama-3(\.\d)?-8b(?![0-9])/i,
    shape: { parameters: 8.03e9, layers: 32, kvHeads: 8, headDim: 128, maxContext: 131_072 },
  },
  {
    name: 'Llama-3.1-70B',
    pattern: /llama-3(\.\d)?-70b(?![0-9])/i,
    shape: { parameters: 70.6e9, layers: 80, kvHeads: 8, headDim: 128, maxContext: 131_072 },
  },
  {
    name: 'Llama-3.1-405B',
    pattern: /llama-3(\.\d)?-405b(?![0-9])/i,
    shape: { parameters: 405.9e9, layers: 126, kvHeads: 8, headDim: 128, maxContext: 131_072 },
  },
  {
    name: 'Llama-2-7B',
    pattern: /llama-2-7b(?![0-9])/i,
    shape: { parameters: 6.74e9, layers: 32, kvHeads: 32, headDim: 128, maxContext: 4096 },
  },
  {
    name: 'Llama-2-70B',
    pattern: /llama-2-70b(?![0-9])/i,
    shape: { parameters: 69e9, layers: 80, kvHeads: 8, headDim: 128, maxContext: 4096 },
  },
];

// Bits per weight of llama.cpp's GGUF types (its quantize README; Q8_0/Q5_0/Q4_0 from their block layout).
const GGUF_BITS: Readonly<Record<string, number>> = {
  F16: 16,
  BF16: 16,
  Q8_0: 8.5,
  Q6_K: 6.56,
  Q5_K_M: 5.68,
  Q5_K_S: 5.52,
  Q5_0: 5.5,
  Q4_K_M: 4.84,
  Q4_K_S: 4.58,
  Q4_0: 4.5,
  Q3_K_L: 4.27,
  Q3_K_M: 3.91,
  Q3_K_S: 3.5,
  Q2_K: 3.35,
};
const GGUF_TAG = new RegExp(`[-:._/](${Object.keys(GGUF_BITS).join('|')})(?=$|[-._])`, 'i');

export interface Quantization {
  name: string;
  bytesPerParameter: number;
}

/**
 * The weights' format, read from the model id the way the checkpoints are named: a GGUF type tag
 * (`…-GGUF:Q4_K_M`), AWQ/GPTQ/INT4 (4-bit weights plus per-group scales and unquantized embeddings:
 * ~4.5 bits), FP8/INT8; otherwise the server's default: bf16 for vLLM, Q4_K_M for llama.cpp (what
 * `llama-server -hf` picks when the repo names no type).
 */
export function quantizationOf(model: string, runtime: LlmRuntime): Quantization {
  const tag = GGUF_TAG.exec(model)?.[1]?.toUpperCase();
  if (tag) return { name: tag, bytesPerParameter: GGUF_BITS[tag]! / 8 };
  if (/awq|gptq|int4|w4a16|4bit/i.test(model))
    return { name: '4-bit (AWQ/GPTQ)', bytesPerParameter: 4.5 / 8 };
  if (/fp8|int8|w8a8/i.test(model)) return { name: 'fp8', bytesPerParameter: 1 };
  if (runtime === 'llama-cpp') return { name: 'Q4_K_M', bytesPerParameter: GGUF_BITS.Q4_K_M! / 8 };
  return { name: 'bf16', bytesPerParameter: 2 };
}

export function knownModel(model: string): { name: string; shape: ModelShape } | undefined {
  return KNOWN_MODELS.find((m) => m.pattern.test(model));
}

/** KV cache per token of context: keys and values, per layer, per KV head. */
export function kvBytesPerToken(shape: ModelShape): number {
  return 2 * shape.layers * shape.kvHeads * shape.headDim * KV_BYTES_PER_ELEMENT;
}

export interface SizingInput {
  runtime: LlmRuntime;
  model: string;
  instanceType: string;
  /** Overrides the known-model table's count; the only count for models outside it. */
  parameters?: number;
}

export type Sizing =
  /** Neither the table nor the spec gives a parameter count: nothing can be checked. */
  | { verdict: 'unknown'; warning: string }
  | { verdict: 'too-large'; problem: string }
  | {
      verdict: 'fits';
      weightBytes: number;
      /** Tokens of context the KV cache holds, capped at the model's own; absent when its shape is unknown. */
      maxContext?: number;
      warning?: string;
    };

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(bytes < 1e11 ? 1 : 0)} GB`;

/** Whether `s` fits its GPUs at `utilization`, and the longest context it then serves. */
export function sizeLlm(s: SizingInput, utilization = GPU_MEMORY_UTILIZATION): Sizing {
  const known = knownModel(s.model);
  const parameters = s.parameters ?? known?.shape.parameters;
  if (parameters === undefined) {
    return {
      verdict: 'unknown',
      warning: `llm.selfHosted.model ${s.model} is not in the operator's model table, so nothing checks that it fits ${s.instanceType}'s GPUs and the server's context length is its own default: set llm.selfHosted.parameters, and pass --max-model-len (vllm) or --ctx-size (llama-cpp) in llm.selfHosted.extraArgs`,
    };
  }
  const quant = quantizationOf(s.model, s.runtime);
  const gpus = G5_INSTANCE_TYPES[s.instanceType]?.gpus ?? 1;
  const gpuBytes = gpus * A10G_MEMORY_BYTES;
  const usable = gpuBytes * utilization - gpus * RUNTIME_RESERVE_BYTES;
  const weightBytes = parameters * quant.bytesPerParameter;
  const tooLarge = (why: string) => ({
    verdict: 'too-large' as const,
    problem: `llm.selfHosted.model ${s.model} does not fit ${s.instanceType}: ${why}. Use a g5 with more GPUs (the platform's own GPU node groups offer only ${GPU_NODE_INSTANCE_TYPES.join(', ')}), a quantized or smaller model (fp8, AWQ/GPTQ 4-bit, GGUF Q4_K_M), or provider bedrock`,
  });
  const budget = `the ${gb(usable)} the server may use of its ${gpus} × A10G (${gb(gpuBytes)} at ${Math.round(utilization * 100)}%, less 1 GiB per GPU of runtime overhead)`;
  const weights = `its weights need ~${gb(weightBytes)} (${(parameters / 1e9).toFixed(1)}B parameters in ${quant.name})`;
  if (weightBytes >= usable) return tooLarge(`${weights}, more than ${budget}`);
  if (!known) {
    return {
      verdict: 'fits',
      weightBytes,
      warning: `llm.selfHosted.model ${s.model} fits ${s.instanceType} by its parameter count, but its shape is not in the operator's model table, so the server's context length is its own default: pass --max-model-len (vllm) or --ctx-size (llama-cpp) in llm.selfHosted.extraArgs`,
    };
  }
  // Whole vLLM blocks and round numbers: 256 tokens at a time.
  const fit = Math.floor((usable - weightBytes) / kvBytesPerToken(known.shape) / 256) * 256;
  if (fit < MIN_CONTEXT_TOKENS) {
    return tooLarge(
      `${weights} of ${budget}, which leaves KV cache for ${fit} tokens of context, fewer than the ${MIN_CONTEXT_TOKENS} the platform's prompts need`,
    );
  }
  return { verdict: 'fits', weightBytes, maxContext: Math.min(fit, known.shape.maxContext) };
}
