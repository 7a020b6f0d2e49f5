// Search highlights arrive as {text, match} segments, so matches become <mark> elements and the text is
// rendered as text: nothing from the server is ever parsed as HTML.
import type { Segment } from '../api';

export function Highlight({ segments }: { segments: Segment[] }) {
  return (
    <>{segments.map((s, i) => (s.match ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>))}</>
  );
}
