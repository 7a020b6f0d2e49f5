"""Static int8 quantisation of the encoder (QDQ), run by the model build (src/build/quantize.ts).

Before quantising, the last layer is cut to the [CLS] row, the only one the service reads: its keys and
values still see every token, but its query, attention output and feed-forward run on one row, not all.

Fixed scales make the result independent of batching: activations are quantised with per-tensor ranges
calibrated once here, weights per output channel; integer products are exact, so a text's vector is the
same alone or in any batch (dynamic quantisation, which scales each batch by its own range, is not).

    quantize_encoder.py <fp32.onnx> <calibration.jsonl> <out.onnx> <float layers, e.g. 0,1,2>

calibration.jsonl: one JSON array of token ids per line (the build's own tokenizer wrote them).
The FFN output projections of the float layers stay fp32: the GELU output they read is too skewed for
8 bits there (measured per layer; see the package README).
"""

import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import version_converter
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


def first_token_only_in_last_layer(model: onnx.ModelProto) -> None:
    """Rewires the last layer's query projection and residual to read row 0 of the layer's input."""
    graph = model.graph
    last = max(int(m.group(1)) for n in graph.node if (m := re.match(r"/encoder/layer\.(\d+)/", n.name)))
    prefix = f"/encoder/layer.{last}/attention/"
    query = next(n for n in graph.node if n.name == f"{prefix}self/query/MatMul")
    residual = next(n for n in graph.node if n.name == f"{prefix}output/Add")
    hidden = query.input[0]
    if hidden not in residual.input:
        raise SystemExit(f"unexpected graph: {residual.name} does not add the layer input {hidden}")
    first = f"{prefix}first_token"
    for name, value in (("starts", 0), ("ends", 1), ("axes", 1)):
        graph.initializer.append(onnx.numpy_helper.from_array(np.array([value], np.int64), f"{first}/{name}"))
    graph.node.insert(
        list(graph.node).index(query),
        onnx.helper.make_node(
            "Slice", [hidden, f"{first}/starts", f"{first}/ends", f"{first}/axes"], [first], name=first
        ),
    )
    query.input[0] = first
    residual.input[list(residual.input).index(hidden)] = first
    # The output now holds one row per sequence; the shapes inferred for the layer said every row, and
    # onnxruntime plans its buffers by them, so they go.
    graph.output[0].type.tensor_type.shape.dim[1].dim_value = 1
    kept = [v for v in graph.value_info if not v.name.startswith(f"/encoder/layer.{last}/")]
    del graph.value_info[:]
    graph.value_info.extend(kept)


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


def main(source: str, calibration: str, out: str, float_layers: str) -> None:
    keep_float = {
        f"/encoder/layer.{int(n)}/output/dense/MatMul" for n in float_layers.split(",") if n.strip()
    }
    with tempfile.TemporaryDirectory() as tmp:
        upgraded = Path(tmp, "opset.onnx")
        prepared = Path(tmp, "prepared.onnx")
        onnx.save(version_converter.convert_version(onnx.load(source), OPSET), upgraded)
        quant_pre_process(str(upgraded), str(prepared), skip_symbolic_shape=True)
        model = onnx.load(prepared)
        first_token_only_in_last_layer(model)
        onnx.save(model, prepared)
        graph = model.graph
        weights = {i.name for i in graph.initializer}
        # The projections (a MatMul with a weight); attention's activation × activation products stay fp32.
        projections = [
            n.name for n in graph.node if n.op_type == "MatMul" and any(i in weights for i in n.input)
        ]
        missing = keep_float - set(projections)
        if missing:
            raise SystemExit(f"no such FFN output projection in the graph: {sorted(missing)}")
        quantize_static(
            str(prepared),
            out,
            TokenIds(Path(calibration)),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["MatMul"],
            nodes_to_quantize=[n for n in projections if n not in keep_float],
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
    print(json.dumps({"quantized": len(projections) - len(keep_float), "float": len(keep_float)}))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
