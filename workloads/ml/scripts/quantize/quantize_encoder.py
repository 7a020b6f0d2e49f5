"""Static int8 quantisation of the encoder (QDQ), run by the model build (src/build/quantize.ts).

Before quantising, the last layer is cut to the [CLS] row, the only one the service reads: its keys and
values still see every token, but its query, attention output and feed-forward run on one row, not all.
Each layer's attention (head split, QK^T, mask, softmax, weighted sum of V, head merge, and the q/k/v
biases) becomes one onnxruntime MultiHeadAttention node: the same fp32 arithmetic without the separate
Transpose and Add kernels, threaded over sequences and heads.

Fixed scales make the result independent of batching: activations are quantised with per-tensor ranges
calibrated once here, weights per output channel; integer products are exact, so a text's vector is the
same alone or in any batch (dynamic quantisation, which scales each batch by its own range, is not).

    quantize_encoder.py <fp32.onnx> <calibration.jsonl> <out.onnx> <row-scaled layers, e.g. 0,1,2> \
        <sentiment-out.onnx> <read layers, e.g. 5,6>

calibration.jsonl: one JSON array of token ids per line (the build's own tokenizer wrote them).
The FFN output projections of the row-scaled layers read a GELU output too skewed for one fixed 8-bit
range (measured per layer; see the package README): each token's row gets its own scale instead, from
that row alone, so these stay batch-independent too.

The sentiment encoder (sentiment-out.onnx) is the same fp32 graph stopped after the last read layer, every
projection in it on each row's own range (no calibrated range: the means of middle layers it is read by
lost UCI accuracy to them). It outputs every token's state of each read layer (named layer.N), which the
service mean-pools; the layers after it, which sentiment does not need, are not in it.
"""

import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, version_converter
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

# Per-channel DequantizeLinear (its `axis`) needs opset 13; the Maven model is opset 11.
OPSET = 17
HEADS = 12
# The least value erf-GELU takes (-0.16997...): the floor of every row of an FFN's hidden state.
GELU_FLOOR = -0.17


def first_token_only_in_last_layer(model: onnx.ModelProto) -> None:
    """Rewires the last layer's query projection and residual to read row 0 of the layer's input."""
    graph = model.graph
    last = max(int(m.group(1)) for n in graph.node if (m := re.match(r"/encoder/layer\.(\d+)/", n.name)))
    prefix = f"/encoder/layer.{last}/attention/"
    query = node(graph, f"{prefix}self/query/MatMul")
    residual = node(graph, f"{prefix}output/Add")
    hidden = query.input[0]
    if hidden not in residual.input:
        raise SystemExit(f"unexpected graph: {residual.name} does not add the layer input {hidden}")
    first = f"{prefix}first_token"
    bounds = [
        add_initializer(graph, f"{first}/{name}", np.array([value], np.int64))
        for name, value in (("starts", 0), ("ends", 1), ("axes", 1))
    ]
    graph.node.insert(
        list(graph.node).index(query), helper.make_node("Slice", [hidden, *bounds], [first], name=first)
    )
    query.input[0] = first
    residual.input[list(residual.input).index(hidden)] = first
    # The output now holds one row per sequence; the shapes inferred for the layer said every row, and
    # onnxruntime plans its buffers by them, so they go.
    graph.output[0].type.tensor_type.shape.dim[1].dim_value = 1
    kept = [v for v in graph.value_info if not v.name.startswith(f"/encoder/layer.{last}/")]
    del graph.value_info[:]
    graph.value_info.extend(kept)


def node(graph: onnx.GraphProto, name: str) -> onnx.NodeProto:
    found = [n for n in graph.node if n.name == name]
    if len(found) != 1:
        raise SystemExit(f"unexpected graph: {len(found)} nodes named {name}")
    return found[0]


def add_initializer(graph: onnx.GraphProto, name: str, value) -> str:
    graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
    return name


def prune(graph: onnx.GraphProto) -> None:
    """Removes the nodes whose outputs nothing reads any more, and the initializers no node reads."""
    while True:
        read = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        dead = [n for n in graph.node if not any(o in read for o in n.output)]
        if not dead:
            break
        for n in dead:
            graph.node.remove(n)
    read = {i for n in graph.node for i in n.input}
    kept = [i for i in graph.initializer if i.name in read]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def fused_attention(model: onnx.ModelProto) -> None:
    """Replaces each layer's attention between the q/k/v projections and the output projection by one
    MultiHeadAttention node (com.microsoft) that adds the three biases and masks padded keys itself."""
    graph = model.graph
    layers = sorted({int(m.group(1)) for n in graph.node if (m := re.match(r"/encoder/layer\.(\d+)/", n.name))})
    weights = {i.name: i for i in graph.initializer}
    mask = "/attention_mask/int32"
    graph.node.insert(
        0, helper.make_node("Cast", ["attention_mask"], [mask], to=TensorProto.INT32, name="/attention_mask/Cast")
    )
    for layer in layers:
        prefix = f"/encoder/layer.{layer}/attention/"
        projections, biases = [], []
        for part in ("query", "key", "value"):
            projection = node(graph, f"{prefix}self/{part}/MatMul")
            add = node(graph, f"{prefix}self/{part}/Add")
            bias = [i for i in add.input if i in weights]
            if len(bias) != 1 or projection.output[0] not in add.input:
                raise SystemExit(f"unexpected graph: {add.name} does not add a bias to {projection.name}")
            projections.append(projection.output[0])
            biases.append(numpy_helper.to_array(weights[bias[0]]))
        dense = node(graph, f"{prefix}output/dense/MatMul")
        context = f"{prefix}self/MultiHeadAttention_output_0"
        bias = add_initializer(graph, f"{prefix}self/qkv_bias", np.concatenate(biases).astype(np.float32))
        graph.node.insert(
            list(graph.node).index(dense),
            helper.make_node(
                "MultiHeadAttention",
                [*projections, bias, mask],
                [context],
                domain="com.microsoft",
                num_heads=HEADS,
                name=f"{prefix}self/MultiHeadAttention",
            ),
        )
        dense.input[0] = context
        # The quantiser reads tensor types from value_info; shape inference does not know this op.
        graph.value_info.append(
            helper.make_tensor_value_info(context, TensorProto.FLOAT, None)
        )
    prune(graph)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


def row_scaled_int8(model: onnx.ModelProto, names: list[str]) -> None:
    """Rewrites fp32 projections MatMul(X, W) as int8 products with each row of X on its own range, so the
    result is independent of the batch: W per output column (symmetric, scale sw), each row of X in uint8
    with a scale s (and zero point z) from that row alone. With the integer product P = Xq·Wq, computed
    with sw applied by MatMulIntegerToFloat, X·W ≈ s·(P − z·colsum(Wq))·sw.

    Most inputs (layer norms, attention) are near-symmetric: z = 128 for every row, s = max|row| / 127, so
    z·colsum is one constant the product subtracts itself and only the row's s is left to apply. A GELU
    output (an FFN's output projection) is skewed, [GELU_FLOOR, max]: one range per row over exactly that
    keeps the bit a symmetric range would waste, at two more passes over the output for its zero point.
    Projections of the same X (a layer's query, key and value) quantise it once."""
    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    groups: dict[str, list[onnx.NodeProto]] = {}
    for name in names:
        matmul = node(graph, name)
        groups.setdefault(matmul.input[0], []).append(matmul)
    for x, matmuls in groups.items():
        gelu = all(re.search(r"/layer\.\d+/output/dense/MatMul$", m.name) for m in matmuls)
        k = weights[matmuls[0].input[1]].dims[0]
        p = f"{matmuls[0].name}/row_int8"
        c = lambda suffix, value: add_initializer(graph, f"{p}/{suffix}", value)
        if gelu:
            scaled = [
                # s = (max(row) − floor) / 255, z = round(−floor / s): 0 ↦ z, the floor ↦ 0
                ("ReduceMax", [x], ["max"], {"axes": [-1], "keepdims": 1}),
                ("Sub", ["max", c("floor", np.float32(GELU_FLOOR))], ["range"], {}),
                # a range of at least −floor keeps z = round(−floor / s) ≤ 255 whatever the row holds
                ("Max", ["range", c("least_range", np.float32(-GELU_FLOOR))], ["range_pos"], {}),
                ("Mul", ["range_pos", c("inv255", np.float32(1 / 255))], ["scale"], {}),
                ("Div", [c("minus_floor", np.float32(-GELU_FLOOR)), "scale"], ["zero_exact"], {}),
                ("Round", ["zero_exact"], ["zero"], {}),
                ("Cast", ["zero"], ["zero_u8"], {"to": TensorProto.UINT8}),
                ("Reshape", ["scale", c("flat", np.array([-1], np.int64))], ["scale_rows"], {}),
                ("Reshape", ["zero_u8", "flat"], ["zero_rows"], {}),
            ]
        else:
            scaled = [
                # s = max|row| / 127, z = 128
                ("ReduceMax", [x], ["max"], {"axes": [-1], "keepdims": 1}),
                ("ReduceMin", [x], ["min"], {"axes": [-1], "keepdims": 1}),
                ("Neg", ["min"], ["minus_min"], {}),
                ("Max", ["max", "minus_min"], ["magnitude"], {}),
                # a row of zeros would have no range
                ("Max", ["magnitude", c("least", np.float32(1e-20))], ["magnitude_pos"], {}),
                ("Mul", ["magnitude_pos", c("inv127", np.float32(1 / 127))], ["scale"], {}),
                ("Reshape", ["scale", c("flat", np.array([-1], np.int64))], ["scale_rows"], {}),
                ("Shape", ["scale_rows"], ["rows"], {}),
                ("Expand", [c("z", np.uint8(128)), "rows"], ["zero_rows"], {}),
            ]
        rewritten = scaled + [
            # QuantizeLinear takes one scale per index of an axis: the rows, flattened to 2-D
            ("Reshape", [x, c("rows_k", np.array([-1, k], np.int64))], ["x_rows"], {}),
            ("QuantizeLinear", ["x_rows", "scale_rows", "zero_rows"], ["x_q"], {"axis": 0}),
            ("Reshape", ["scale", c("column", np.array([-1, 1], np.int64))], ["scale_column"], {}),
            ("Shape", [x], ["x_shape"], {}),
            ("Slice", ["x_shape", c("start", np.array([0], np.int64)), c("end", np.array([-1], np.int64))], ["lead"], {}),
        ]
        if gelu:
            rewritten.append(("Reshape", ["zero", "column"], ["zero_column"], {}))
        one = c("one", np.float32(1))
        for i, matmul in enumerate(matmuls):
            W = numpy_helper.to_array(weights[matmul.input[1]]).astype(np.float32)
            n = W.shape[1]
            sw = np.abs(W).max(axis=0) / 127
            sw[sw == 0] = 1
            Wq = np.clip(np.round(W / sw), -127, 127).astype(np.int8)
            q = f"{i}_" if len(matmuls) > 1 else ""
            # P·sw in one kernel (its A scale is per tensor, so 1 here; the row's s comes after)
            inputs = ["x_q", c(f"{q}weight_q", Wq), one, c(f"{q}weight_scale", sw.astype(np.float32))]
            if gelu:
                colsum = (Wq.astype(np.float32).sum(axis=0) * sw).astype(np.float32)
                rewritten += [
                    ("MatMulIntegerToFloat", inputs, [f"{q}product"], {"domain": "com.microsoft"}),
                    ("Mul", ["zero_column", c(f"{q}colsum_w", colsum)], [f"{q}offset"], {}),
                    ("Sub", [f"{q}product", f"{q}offset"], [f"{q}centred"], {}),
                ]
            else:
                rewritten.append(
                    ("MatMulIntegerToFloat", [*inputs, "z"], [f"{q}centred"], {"domain": "com.microsoft"})
                )
            rewritten += [
                ("Mul", [f"{q}centred", "scale_column"], [f"{q}y_rows"], {}),
                # back to X's leading dimensions
                ("Concat", ["lead", c(f"{q}n", np.array([n], np.int64))], [f"{q}y_shape"], {"axis": 0}),
                ("Reshape", [f"{q}y_rows", f"{q}y_shape"], [matmul.output[0]], {}),
            ]
        outputs = [m.output[0] for m in matmuls]
        local = lambda t: t if t == x or t in outputs or t.startswith(p) else f"{p}/{t}"
        at = min(list(graph.node).index(m) for m in matmuls)
        for m in matmuls:
            graph.node.remove(m)
        for i, (op, inputs, outs, attrs) in enumerate(rewritten):
            graph.node.insert(
                at + i,
                helper.make_node(op, [local(t) for t in inputs], [local(t) for t in outs], name=f"{p}/{op}_{i}", **attrs),
            )
    prune(graph)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


def cut_after(model: onnx.ModelProto, layers: list[int]) -> onnx.ModelProto:
    """A copy of the model that ends at the last of `layers`: outputs layer.N, every token's state after
    layer N, for each N in `layers`; the nodes nothing of that needs are removed."""
    cut = onnx.ModelProto()
    cut.CopyFrom(model)
    graph = cut.graph
    del graph.output[:]
    for k in layers:
        state = f"/encoder/layer.{k}/output/LayerNorm/Add_1_output_0"
        if not any(state in n.output for n in graph.node):
            raise SystemExit(f"no layer {k} in the graph (0-based)")
        graph.node.append(helper.make_node("Identity", [state], [f"layer.{k}"], name=f"/read/layer.{k}"))
        graph.output.append(helper.make_tensor_value_info(f"layer.{k}", TensorProto.FLOAT, None))
    prune(graph)
    made = {o for n in graph.node for o in n.output}
    kept = [v for v in graph.value_info if v.name in made]
    del graph.value_info[:]
    graph.value_info.extend(kept)
    return cut


class TokenIds(CalibrationDataReader):
    def __init__(self, path: Path):
        self.rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        self.next = 0

    def get_next(self):
        if self.next >= len(self.rows):
            return None
        ids = np.array([self.rows[self.next]], dtype=np.int64)
        self.next += 1
        return {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }


def main(
    source: str, calibration: str, out: str, row_scaled_layers: str, sentiment_out: str, read_layers: str
) -> None:
    row_scaled = {
        f"/encoder/layer.{int(n)}/output/dense/MatMul" for n in row_scaled_layers.split(",") if n.strip()
    }
    with tempfile.TemporaryDirectory() as tmp:
        upgraded = Path(tmp, "opset.onnx")
        prepared = Path(tmp, "prepared.onnx")
        onnx.save(version_converter.convert_version(onnx.load(source), OPSET), upgraded)
        quant_pre_process(str(upgraded), str(prepared), skip_symbolic_shape=True)
        model = onnx.load(prepared)
        first_token_only_in_last_layer(model)
        fused_attention(model)
        onnx.save(model, prepared)
        graph = model.graph
        weights = {i.name for i in graph.initializer}
        # The projections (a MatMul with a weight); attention's own products stay fp32, inside its node.
        projections = [
            n.name for n in graph.node if n.op_type == "MatMul" and any(i in weights for i in n.input)
        ]
        missing = row_scaled - set(projections)
        if missing:
            raise SystemExit(f"no such FFN output projection in the graph: {sorted(missing)}")
        quantize_static(
            str(prepared),
            out,
            TokenIds(Path(calibration)),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["MatMul"],
            nodes_to_quantize=[n for n in projections if n not in row_scaled],
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={
                "ActivationSymmetric": False,
                "WeightSymmetric": True,
                # MatMul → float (MatMulIntegerToFloat): no second rounding of the product, and faster.
                "OpTypesToExcludeOutputQuantization": ["MatMul"],
            },
        )
        model = onnx.load(out)
        row_scaled_int8(model, sorted(row_scaled))
        onnx.save(model, out)
        # The sentiment encoder is cut from the fp32 graph and scales every projection's input per row: its
        # reading (means of middle layers) lost UCI accuracy to the fixed ranges, and it is the cheaper file.
        sentiment = cut_after(onnx.load(prepared), [int(n) for n in read_layers.split(",")])
        sentiment_projections = [
            n.name
            for n in sentiment.graph.node
            if n.op_type == "MatMul" and any(i in weights for i in n.input)
        ]
        row_scaled_int8(sentiment, sentiment_projections)
        onnx.save(sentiment, sentiment_out)
    print(
        json.dumps(
            {
                "static": len(projections) - len(row_scaled),
                "rowScaled": len(row_scaled),
                "sentimentRowScaled": len(sentiment_projections),
            }
        )
    )

if __name__ == "__main__":
    if len(sys.argv) != 7:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
