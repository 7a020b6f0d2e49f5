"""What most Python teams would reach for: sentence-transformers on torch (CPU) from PyPI, on the
published fp32 model, with the same texts and threads (bench/peer/peer.ts).

    torch_peer.py <encoder-fp32.onnx> <tokenizer.json> <texts.txt> <threads> <rounds> <cache-dir>

No PyTorch checkpoint of bge-small-en-v1.5 can be downloaded here, so the first run converts the
ONNX file's initializers into a Hugging Face `BertModel` directory (config.json, model.safetensors,
tokenizer.json, tokenizer_config.json) under <cache-dir>, keyed by the ONNX file's SHA-256; later
runs reuse it. The conversion is checked before anything is timed: the L2-normalised [CLS] vectors
of a few dozen texts from sentence-transformers against onnxruntime on the same ONNX file; below a
cosine of 0.9999 the script exits non-zero.

Prints one JSON line: texts/s (median of rounds) of `SentenceTransformer.encode(texts,
batch_size=32)` (its own default batch size and length sorting), [CLS] pooling, normalised, for
  - "sentence-transformers": the fp32 model;
  - "sentence-transformers int8 dynamic": the same after `torch.quantization.quantize_dynamic` of
    its Linear layers to qint8 (null, with the reason in "int8 dynamic error", if this torch can't);
and "min cosine" (the conversion check) and "int8 dynamic min cosine" (the quantised model against
the same reference). Progress goes to stderr.
"""

import copy
import hashlib
import json
import os
import re
import shutil
import sys
import time
import warnings
from typing import Any, Callable

# Everything is local: never wait on the Hugging Face hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper
import transformers
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel

transformers.utils.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()

MIN_COSINE = 0.9999
CHECK_TEXTS = 48
BERT_CONFIG = dict(
    vocab_size=30522,
    hidden_size=384,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=1536,
    max_position_embeddings=512,
    type_vocab_size=2,
    layer_norm_eps=1e-12,
    hidden_act="gelu",
    pad_token_id=0,
)
TOKENIZER_CONFIG = {
    "tokenizer_class": "BertTokenizer",
    "do_lower_case": True,
    "tokenize_chinese_chars": True,
    "strip_accents": None,
    "model_max_length": 512,
    "clean_up_tokenization_spaces": True,
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
}


def dotted(path: str) -> str:
    return path.replace("/", ".")


# Node name (as torch.onnx exported it) -> the BertModel parameter its initializer input holds.
LINEAR = (
    r"/encoder/layer\.(\d+)/(attention/self/query|attention/self/key|attention/self/value"
    r"|attention/output/dense|intermediate/dense|output/dense)"
)
LAYER_NORM = r"/(embeddings|encoder/layer\.\d+/attention/output|encoder/layer\.\d+/output)"
LAYER_NORM += "/LayerNorm"
NODE_PARAMS: list[tuple[str, str, Callable[[re.Match[str]], str]]] = [
    ("MatMul", LINEAR + "/MatMul", lambda m: f"encoder.layer.{m[1]}.{dotted(m[2])}.weight"),
    ("Add", LINEAR + "/Add", lambda m: f"encoder.layer.{m[1]}.{dotted(m[2])}.bias"),
    ("Mul", LAYER_NORM + "/Mul", lambda m: f"{dotted(m[1])}.LayerNorm.weight"),
    ("Add", LAYER_NORM + "/Add_1", lambda m: f"{dotted(m[1])}.LayerNorm.bias"),
    (
        "Gather",
        r"/embeddings/(word|position|token_type)_embeddings/Gather",
        lambda m: f"embeddings.{m[1]}_embeddings.weight",
    ),
]


def log(message: str) -> None:
    print(f"torch_peer: {message}", file=sys.stderr, flush=True)


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def onnx_state_dict(onnx_file: str) -> dict[str, torch.Tensor]:
    """The BertModel parameters in the ONNX graph's initializers, found by the nodes using them."""
    graph = onnx.load(onnx_file).graph
    initializers = {i.name: i for i in graph.initializer}
    state: dict[str, torch.Tensor] = {}
    for node in graph.node:
        for op, pattern, param in NODE_PARAMS:
            match = re.fullmatch(pattern, node.name)
            if node.op_type != op or not match:
                continue
            inputs = [x for x in node.input if x in initializers]
            if len(inputs) != 1:
                raise SystemExit(f"torch_peer: {node.name} has {len(inputs)} initializer inputs")
            array = numpy_helper.to_array(initializers[inputs[0]]).astype(np.float32)
            # ONNX MatMul computes x @ W (W is [in, out]); torch's Linear holds W as [out, in].
            array = np.ascontiguousarray(array.T) if op == "MatMul" else array
            state[param(match)] = torch.from_numpy(array)
    return state


def convert(onnx_file: str, tokenizer_file: str, cache_dir: str) -> str:
    """The Hugging Face model directory made from the ONNX file, made once per file content."""
    target = os.path.join(cache_dir, f"bge-small-en-v1.5-{sha256(onnx_file)[:12]}")
    if os.path.exists(os.path.join(target, "model.safetensors")):
        return target
    log(f"converting {onnx_file} to a BertModel in {target}")
    model = BertModel(BertConfig(**BERT_CONFIG), add_pooling_layer=False)
    expected = set(model.state_dict())
    state = onnx_state_dict(onnx_file)
    missing, unexpected = expected - set(state), set(state) - expected
    if missing or unexpected:
        raise SystemExit(
            f"torch_peer: the ONNX graph does not map onto BertModel: missing {sorted(missing)}, "
            f"unexpected {sorted(unexpected)}"
        )
    for name, tensor in model.state_dict().items():
        got, want = tuple(state[name].shape), tuple(tensor.shape)
        if got != want:
            raise SystemExit(f"torch_peer: {name} is {got} in the ONNX file, BertModel has {want}")
    model.load_state_dict(state, strict=True)
    os.makedirs(cache_dir, exist_ok=True)
    work = f"{target}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    model.save_pretrained(work)
    shutil.copyfile(tokenizer_file, os.path.join(work, "tokenizer.json"))
    with open(os.path.join(work, "tokenizer_config.json"), "w", encoding="utf8") as f:
        json.dump(TOKENIZER_CONFIG, f, indent=2)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(work, target)
    return target


def reference(onnx_file: str, tokenizer_file: str, texts: list[str], threads: int) -> np.ndarray:
    """The L2-normalised [CLS] vectors from onnxruntime on the ONNX file, a call per text."""
    tokenizer = Tokenizer.from_file(tokenizer_file)
    tokenizer.enable_truncation(512)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(onnx_file, options, providers=["CPUExecutionProvider"])
    out = []
    for text in texts:
        e = tokenizer.encode(text)
        ids = np.array([e.ids], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }
        out.append(session.run(None, feed)[0][0, 0])
    vectors = np.stack(out)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def min_cosine(model: SentenceTransformer, texts: list[str], expected: np.ndarray) -> float:
    got = model.encode(texts, batch_size=32, show_progress_bar=False, convert_to_numpy=True)
    return float(np.min(np.sum(got * expected, axis=1) / np.linalg.norm(got, axis=1)))


def main(
    onnx_file: str, tokenizer_file: str, texts_file: str, threads: str, rounds: str, cache_dir: str
) -> None:
    texts = [t for t in open(texts_file, encoding="utf8").read().split("\n") if t]
    torch.set_num_threads(int(threads))
    model_dir = convert(onnx_file, tokenizer_file, cache_dir)
    model = SentenceTransformer(
        modules=[
            # The ONNX graph has no pooler, so neither has the model (CLS pooling never uses it).
            Transformer(model_dir, model_kwargs={"add_pooling_layer": False}),
            Pooling(384, "cls"),
            Normalize(),
        ],
        device="cpu",
    )
    model.eval()

    check = texts[:: max(1, len(texts) // CHECK_TEXTS)][:CHECK_TEXTS]
    expected = reference(onnx_file, tokenizer_file, check, int(threads))
    cosine = min_cosine(model, check, expected)
    log(f"conversion check: minimum cosine {cosine:.7f} to onnxruntime over {len(check)} texts")
    if not cosine >= MIN_COSINE:
        raise SystemExit(
            f"torch_peer: the torch model converted from {onnx_file} does not reproduce it: "
            f"minimum cosine {cosine:.7f} < {MIN_COSINE} over {len(check)} texts; "
            f"delete {model_dir} to convert again"
        )

    result: dict[str, Any] = {"min cosine": cosine}
    ways: dict[str, SentenceTransformer] = {"sentence-transformers": model}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            quantized = torch.quantization.quantize_dynamic(
                copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8
            )
        for said in dict.fromkeys(str(w.message).split(". ")[0] for w in caught):
            log(f"quantize_dynamic works, but torch {torch.__version__} warns: {said.strip()}")
        result["int8 dynamic min cosine"] = min_cosine(quantized, check, expected)
        ways["sentence-transformers int8 dynamic"] = quantized
    except Exception as err:  # noqa: BLE001 - whatever this torch says, report it rather than crash
        reason = f"{type(err).__name__}: {err}".splitlines()[0]
        log(f"quantize_dynamic failed: {reason}")
        result["sentence-transformers int8 dynamic"] = None
        result["int8 dynamic error"] = reason

    for m in ways.values():
        m.encode(texts[:32], batch_size=32, show_progress_bar=False)
    rates: dict[str, list[float]] = {k: [] for k in ways}
    for r in range(int(rounds)):
        for name, m in ways.items():
            t0 = time.perf_counter()
            m.encode(texts, batch_size=32, show_progress_bar=False)
            rates[name].append(len(texts) / (time.perf_counter() - t0))
        log(f"round {r + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in rates.items()))
    result.update({k: sorted(v)[len(v) // 2] for k, v in rates.items()})
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) != 7:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
