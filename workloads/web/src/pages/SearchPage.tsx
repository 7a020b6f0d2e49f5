// Full-text search over summaries, descriptions and comments, with the matched words marked.
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Highlight } from '../components/Highlight';
import { LabelChip } from '../components/LabelChip';
import { Pager } from '../components/Pager';
import { ErrorMessage, Loading } from '../components/Status';
import { formatScore } from '../format';
import { href, navigate } from '../router';
import { useAsync } from '../useAsync';

const LIMIT = 20;

export function SearchPage({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const [text, setText] = useState(q);
  const { data, error, loading } = useAsync(
    () => (q ? api.search(q, LIMIT, offset) : Promise.resolve(null)),
    [q, offset],
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(href('/search', { q: text.trim() }));
  };

  return (
    <>
      <h1>Search</h1>
      <form role="search" className="filters" onSubmit={submit}>
        <div className="grow">
          <label htmlFor="search-q">Search tickets and comments</label>
          <input
            id="search-q"
            type="search"
            maxLength={500}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <button type="submit" disabled={!text.trim()}>
          Search
        </button>
      </form>
      <Loading loading={loading && Boolean(q)} what="results" />
      <ErrorMessage error={error} />
      {data ? (
        <section aria-labelledby="results-h">
          <h2 id="results-h">
            {data.total} result{data.total === 1 ? '' : 's'} for “{q}”
          </h2>
          <ol className="results">
            {data.items.map((hit) => (
              <li key={hit.id} className="card">
                <h3>
                  <a href={href(`/tickets/${encodeURIComponent(hit.id)}`)}>
                    {hit.id}: {hit.summary}
                  </a>
                </h3>
                <p className="muted">
                  {hit.status ?? '—'} · {hit.priority ?? '—'} · {hit.assignee ?? 'unassigned'} · score{' '}
                  {formatScore(hit.sentimentScore)} <LabelChip label={hit.sentimentLabel} />
                </p>
                {hit.highlights.map((h) =>
                  h.fragments.map((segments, i) => (
                    <p key={`${h.field}-${i}`} className="fragment">
                      <span className="field-name">{h.field}:</span> <Highlight segments={segments} />
                    </p>
                  )),
                )}
              </li>
            ))}
          </ol>
          <Pager path="/search" query={{ q }} total={data.total} limit={LIMIT} offset={offset} />
        </section>
      ) : null}
    </>
  );
}
