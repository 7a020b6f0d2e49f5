// Ticket list with filters and pagination. The filters live in the URL so a filtered view can be shared
// and the back button restores it.
import { useState, type FormEvent } from 'react';
import { api, type Label, type TicketQuery, type Trend } from '../api';
import { DataTable } from '../components/DataTable';
import { LabelChip } from '../components/LabelChip';
import { Pager } from '../components/Pager';
import { ErrorMessage, Loading } from '../components/Status';
import { formatDate, formatScore } from '../format';
import { href, navigate } from '../router';
import { useAsync } from '../useAsync';

const LIMIT = 25;
const TEXT_FILTERS = ['status', 'priority', 'assignee'] as const;
const LABELS: Label[] = ['negative', 'neutral', 'positive'];
const TRENDS: Trend[] = ['improving', 'declining', 'stable', 'volatile'];
const SORTS = { id: 'Ticket id', score: 'Most negative first', updated: 'Recently updated' } as const;
const FIELDS = [...TEXT_FILTERS, 'label', 'trend', 'sort'] as const;
type Field = (typeof FIELDS)[number];

export function TicketsPage({ query }: { query: URLSearchParams }) {
  const current = Object.fromEntries(FIELDS.map((f) => [f, query.get(f) ?? ''])) as Record<Field, string>;
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const [form, setForm] = useState(current);
  const key = query.toString();
  const { data, error, loading } = useAsync(() => {
    const q: TicketQuery = { limit: LIMIT, offset };
    for (const f of FIELDS) if (current[f]) Object.assign(q, { [f]: current[f] });
    return api.tickets(q);
  }, [key]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    navigate(href('/tickets', form));
  };
  const field = (f: Field) => ({
    id: `tf-${f}`,
    value: form[f],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [f]: e.target.value }),
  });

  return (
    <>
      <h1>Tickets</h1>
      <form className="filters" onSubmit={apply} aria-label="Ticket filters">
        {TEXT_FILTERS.map((f) => (
          <div key={f}>
            <label htmlFor={`tf-${f}`}>{f[0]!.toUpperCase() + f.slice(1)}</label>
            <input type="text" {...field(f)} />
          </div>
        ))}
        <div>
          <label htmlFor="tf-label">Sentiment</label>
          <select {...field('label')}>
            <option value="">Any</option>
            {LABELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="tf-trend">Trend</label>
          <select {...field('trend')}>
            <option value="">Any</option>
            {TRENDS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="tf-sort">Sort by</label>
          <select {...field('sort')}>
            <option value="">Default</option>
            {Object.entries(SORTS).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Apply filters</button>
      </form>
      <Loading loading={loading} what="tickets" />
      <ErrorMessage error={error} />
      {data ? (
        <>
          <DataTable
            caption={`Tickets (${data.total} matching)`}
            columns={[
              'Ticket',
              'Summary',
              'Status',
              'Priority',
              'Assignee',
              'Updated',
              'Score',
              'Sentiment',
              'Trend',
            ]}
            numeric={[6]}
            rows={data.items.map((t) => [
              <a href={href(`/tickets/${encodeURIComponent(t.id)}`)}>{t.id}</a>,
              t.summary,
              t.status ?? '—',
              t.priority ?? '—',
              t.assignee ?? '—',
              formatDate(t.updated_at),
              formatScore(t.sentiment_score),
              <LabelChip label={t.sentiment_label} />,
              t.trend ?? '—',
            ])}
          />
          <Pager path="/tickets" query={current} total={data.total} limit={LIMIT} offset={offset} />
        </>
      ) : null}
    </>
  );
}
