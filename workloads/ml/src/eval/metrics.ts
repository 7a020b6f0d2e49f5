/** Accuracy and macro-F1 of binary predictions (1 positive, 0 negative). */
export function binaryScores(
  truth: readonly number[],
  predicted: readonly number[],
): { accuracy: number; macroF1: number } {
  let right = 0;
  const f1 = [0, 1].map((c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truth.forEach((t, i) => {
      const p = predicted[i];
      if (p === c && t === c) tp++;
      else if (p === c) fp++;
      else if (t === c) fn++;
    });
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  truth.forEach((t, i) => (right += predicted[i] === t ? 1 : 0));
  return { accuracy: right / truth.length, macroF1: (f1[0]! + f1[1]!) / 2 };
}
