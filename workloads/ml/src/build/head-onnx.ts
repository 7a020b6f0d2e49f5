// Writes the head as an ONNX graph (Gemm + Softmax) with onnx-proto: a build-time dependency only.
import onnxProto from 'onnx-proto';
import type { HeadWeights } from '../head.js';

const { onnx } = onnxProto;

export function headModelBytes(w: HeadWeights): Uint8Array {
  const classes = w.weights.length;
  const dim = w.weights[0]!.length;
  const tensor = (name: string, dims: number[], values: number[]) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values });
  const valueInfo = (name: string, cols: number) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: [{ dimParam: 'batch' }, { dimValue: cols }] },
        },
      },
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'sentiment-platform',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'sentiment-head',
      input: [valueInfo('embedding', dim)],
      output: [valueInfo('probabilities', classes)],
      initializer: [tensor('W', [classes, dim], w.weights.flat()), tensor('b', [classes], w.bias)],
      node: [
        onnx.NodeProto.create({
          opType: 'Gemm',
          input: ['embedding', 'W', 'b'],
          output: ['logits'],
          attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        }),
        onnx.NodeProto.create({
          opType: 'Softmax',
          input: ['logits'],
          output: ['probabilities'],
          attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        }),
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
