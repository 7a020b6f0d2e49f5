"""A tiny Llama-architecture chat model in GGUF, written here with PyPI gguf: nothing from a model hub.

usage: tiny_llama.py OUT.gguf

Random weights (fixed seed), two layers of width 64, grouped-query attention (4 heads, 2 KV heads), a byte
vocabulary (SentencePiece model with byte fallback: every byte is a token) and a chat template, so a
llama.cpp server loads it and answers chat completions exactly as it would a real model, in shape. The
output rows of control tokens and of non-printable bytes are zero, so greedy decoding emits printable ASCII
and never stops early on end-of-sequence: an answer is always max_tokens characters of nonsense.
"""

import sys

import gguf
import numpy as np

DIM, LAYERS, HEADS, KV_HEADS, FF, CONTEXT = 64, 2, 4, 2, 128, 32768
HEAD_DIM = DIM // HEADS

out = sys.argv[1]
rng = np.random.default_rng(20261206)
tokens = [b"<unk>", b"<s>", b"</s>"] + [f"<0x{b:02X}>".encode() for b in range(256)]
types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + [gguf.TokenType.BYTE] * 256

w = gguf.GGUFWriter(out, "llama")
w.add_name("sentiment-test-tiny-llama")
w.add_context_length(CONTEXT)
w.add_embedding_length(DIM)
w.add_block_count(LAYERS)
w.add_feed_forward_length(FF)
w.add_head_count(HEADS)
w.add_head_count_kv(KV_HEADS)
w.add_rope_dimension_count(HEAD_DIM)
w.add_layer_norm_rms_eps(1e-5)
w.add_file_type(gguf.LlamaFileType.ALL_F32)
w.add_tokenizer_model("llama")
w.add_token_list(tokens)
w.add_token_scores([0.0] * len(tokens))
w.add_token_types(types)
w.add_bos_token_id(1)
w.add_eos_token_id(2)
w.add_unk_token_id(0)
w.add_add_bos_token(True)
w.add_chat_template(
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def weights(*shape: int) -> np.ndarray:
    return (rng.standard_normal(shape) * 0.5).astype(np.float32)


vocab = len(tokens)
w.add_tensor("token_embd.weight", weights(vocab, DIM))
w.add_tensor("output_norm.weight", np.ones(DIM, dtype=np.float32))
output = weights(vocab, DIM)
printable = np.zeros(vocab, dtype=bool)
printable[3 + 0x20 : 3 + 0x7F] = True
output[~printable] = 0.0
w.add_tensor("output.weight", output)
for i in range(LAYERS):
    w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(DIM, dtype=np.float32))
    w.add_tensor(f"blk.{i}.attn_q.weight", weights(DIM, DIM))
    w.add_tensor(f"blk.{i}.attn_k.weight", weights(KV_HEADS * HEAD_DIM, DIM))
    w.add_tensor(f"blk.{i}.attn_v.weight", weights(KV_HEADS * HEAD_DIM, DIM))
    w.add_tensor(f"blk.{i}.attn_output.weight", weights(DIM, DIM))
    w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(DIM, dtype=np.float32))
    w.add_tensor(f"blk.{i}.ffn_gate.weight", weights(FF, DIM))
    w.add_tensor(f"blk.{i}.ffn_up.weight", weights(FF, DIM))
    w.add_tensor(f"blk.{i}.ffn_down.weight", weights(DIM, FF))

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
