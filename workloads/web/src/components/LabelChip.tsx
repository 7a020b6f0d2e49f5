// A sentiment label as text plus colour (colour alone would fail colour-blind readers).
import type { Label } from '../api';

export function LabelChip({ label }: { label: Label | null }) {
  if (!label) return <span className="chip">unscored</span>;
  return <span className={`chip chip-${label}`}>{label}</span>;
}
