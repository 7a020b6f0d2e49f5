// Previous/next links for offset pagination; the range text tells where the page is in the whole list.
import { href } from '../router';

interface Props {
  path: string;
  query: Record<string, string | undefined>;
  total: number;
  limit: number;
  offset: number;
}

export function Pager({ path, query, total, limit, offset }: Props) {
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label="Pagination">
      {offset > 0 ? (
        <a href={href(path, { ...query, offset: Math.max(0, offset - limit) || undefined })}>← Previous</a>
      ) : null}
      <span aria-live="polite">
        {first}–{last} of {total}
      </span>
      {last < total ? <a href={href(path, { ...query, offset: offset + limit })}>Next →</a> : null}
    </nav>
  );
}
