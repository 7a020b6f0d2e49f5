"""The Python stack a team would run instead, on the same model file, texts and threads (bench/peer.ts).

    peer.py <encoder.onnx> <tokenizer.json> <texts.txt> <threads> <rounds>

Prints one JSON line: texts/s (median of rounds) for
  - "batched": Hugging Face `tokenizers` + onnxruntime as fastembed runs them: 256 texts per call in
    the order given, padded to the longest, [CLS] vector L2-normalised;
  - "sorted": the same with this service's length-sorted sub-batches of 32;
  - "one per text": a session call per text (the replaced app's pattern).
"""

import json
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def main(model: str, tokenizer_file: str, texts_file: str, threads: str, rounds: str) -> None:
    texts = [t for t in open(texts_file, encoding="utf8").read().split("\n") if t]
    tokenizer = Tokenizer.from_file(tokenizer_file)
    tokenizer.enable_truncation(512)
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def run(batch: list[str]) -> np.ndarray:
        tokenizer.enable_padding()
        encoded = tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        out = session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0][:, 0]
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def batched(size: int) -> None:
        for i in range(0, len(texts), size):
            run(texts[i : i + size])

    def sorted_sub_batches() -> None:
        tokenizer.no_padding()
        order = sorted(range(len(texts)), key=lambda i: len(tokenizer.encode(texts[i]).ids))
        for i in range(0, len(order), 32):
            run([texts[j] for j in order[i : i + 32]])

    ways = {
        "batched": lambda: batched(256),
        "sorted": sorted_sub_batches,
        "one per text": lambda: batched(1),
    }
    run(texts[:32])
    rates: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(int(rounds)):
        for name, way in ways.items():
            t0 = time.perf_counter()
            way()
            rates[name].append(len(texts) / (time.perf_counter() - t0))
    print(json.dumps({k: sorted(v)[len(v) // 2] for k, v in rates.items()}))


if __name__ == "__main__":
    if len(sys.argv) != 6:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
