/** confusion[t][p]: how many items of true class t were predicted as class p (classes 0 … classes−1). */
export function confusionMatrix(
  truth: readonly number[],
  predicted: readonly number[],
  classes: number,
): number[][] {
  if (truth.length !== predicted.length)
    throw new Error(`${truth.length} true labels but ${predicted.length} predictions`);
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  truth.forEach((t, i) => {
    const p = predicted[i]!;
    for (const c of [t, p])
      if (!Number.isInteger(c) || c < 0 || c >= classes)
        throw new RangeError(`class ${c} at index ${i} is outside 0…${classes - 1}`);
    matrix[t]![p]!++;
  });
  return matrix;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** How many items truly are of this class. */
  support: number;
}

export interface Scores {
  accuracy: number;
  /** The unweighted mean of the per-class F1. */
  macroF1: number;
  /** Indexed by class. */
  perClass: ClassScores[];
  confusion: number[][];
}

/** Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix; 0 where a ratio is 0/0. */
export function classificationScores(
  truth: readonly number[],
  predicted: readonly number[],
  classes: number,
): Scores {
  const confusion = confusionMatrix(truth, predicted, classes);
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  const perClass = confusion.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((s, n) => s + n, 0);
    const predictedAs = confusion.reduce((s, r) => s + r[c]!, 0);
    const fp = predictedAs - tp;
    const fn = support - tp;
    return {
      precision: ratio(tp, predictedAs),
      recall: ratio(tp, support),
      f1: ratio(2 * tp, 2 * tp + fp + fn),
      support,
    };
  });
  const right = confusion.reduce((s, row, c) => s + row[c]!, 0);
  return {
    accuracy: right / truth.length,
    macroF1: perClass.reduce((s, c) => s + c.f1, 0) / classes,
    perClass,
    confusion,
  };
}

/** Accuracy and macro-F1 of binary predictions (1 positive, 0 negative). */
export function binaryScores(
  truth: readonly number[],
  predicted: readonly number[],
): { accuracy: number; macroF1: number } {
  // An item without a 0/1 truth (each UCI fixture file ends with an empty, unlabelled entry) is scored
  // as it always has been here: a miss in accuracy and a false positive of the class predicted for it. It
  // gets a third class of its own, left out of the F1 mean.
  const s = classificationScores(
    truth.map((t) => (t === 0 || t === 1 ? t : 2)),
    predicted,
    3,
  );
  return { accuracy: s.accuracy, macroF1: (s.perClass[0]!.f1 + s.perClass[1]!.f1) / 2 };
}
