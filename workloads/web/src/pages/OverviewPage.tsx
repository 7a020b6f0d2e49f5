// The dashboard: totals, sentiment distribution, the daily trend with its anomalies, breakdowns by
// priority and status, and the most negative tickets.
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { DistributionPie, GroupBars, TrendByDay } from '../components/Charts';
import { DataTable } from '../components/DataTable';
import { ReportDownloads } from '../components/ReportDownloads';
import { ErrorMessage, Loading } from '../components/Status';
import { formatScore } from '../format';
import { href, navigate } from '../router';
import { useAsync } from '../useAsync';

export function OverviewPage({ query }: { query: URLSearchParams }) {
  const from = query.get('from') ?? undefined;
  const to = query.get('to') ?? undefined;
  const { data, error, loading } = useAsync(
    () => Promise.all([api.overview(from, to), api.anomalies(from, to)]),
    [from, to],
  );
  const [range, setRange] = useState({ from: from ?? '', to: to ?? '' });

  const apply = (e: FormEvent) => {
    e.preventDefault();
    navigate(href('/', { from: range.from, to: range.to }));
  };

  return (
    <>
      <h1>Overview</h1>
      <form className="filters" onSubmit={apply} aria-label="Date range">
        <div>
          <label htmlFor="ov-from">From</label>
          <input
            id="ov-from"
            type="date"
            value={range.from}
            onChange={(e) => setRange({ ...range, from: e.target.value })}
          />
        </div>
        <div>
          <label htmlFor="ov-to">To</label>
          <input
            id="ov-to"
            type="date"
            value={range.to}
            onChange={(e) => setRange({ ...range, to: e.target.value })}
          />
        </div>
        <button type="submit">Apply</button>
      </form>
      <ReportDownloads from={from} to={to} />
      <Loading loading={loading} what="the overview" />
      <ErrorMessage error={error} />
      {data ? <OverviewBody overview={data[0]} anomalies={data[1].items} /> : null}
    </>
  );
}

function OverviewBody({
  overview: o,
  anomalies,
}: {
  overview: Awaited<ReturnType<typeof api.overview>>;
  anomalies: Awaited<ReturnType<typeof api.anomalies>>['items'];
}) {
  return (
    <>
      <section className="totals" aria-label="Totals">
        <p className="card stat">
          <span className="stat-value" data-testid="total-tickets">
            {o.totals.tickets}
          </span>{' '}
          tickets
        </p>
        <p className="card stat">
          <span className="stat-value" data-testid="total-comments">
            {o.totals.comments}
          </span>{' '}
          comments
        </p>
        {(['improving', 'declining', 'volatile', 'stable'] as const).map((t) => (
          <p key={t} className="card stat">
            <span className="stat-value">{o.trends[t]}</span> {t}
          </p>
        ))}
      </section>
      <div className="grid">
        <DistributionPie title="Comment sentiment" counts={o.distribution} />
        <DistributionPie title="Ticket sentiment" counts={o.ticketDistribution} />
        <TrendByDay days={o.trendByDay} anomalies={anomalies} />
        <GroupBars title="Tickets by priority" groups={o.byPriority} />
        <GroupBars title="Tickets by status" groups={o.byStatus} />
        <section className="card" aria-labelledby="anomalies-h">
          <h2 id="anomalies-h">Anomalies</h2>
          {anomalies.length === 0 ? (
            <p>No day stands out from its trailing average.</p>
          ) : (
            <ul className="anomalies">
              {anomalies.map((a) => (
                <li key={a.day}>
                  <strong>{a.day}</strong>: {a.direction} swing, average {formatScore(a.avgScore)} vs trailing{' '}
                  {formatScore(a.trailingMean)} (z = {a.z.toFixed(1)}, {a.comments} comments)
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card wide" aria-labelledby="top-negative-h">
          <h2 id="top-negative-h">Most negative tickets</h2>
          <DataTable
            caption="The ten tickets with the lowest rolled-up score"
            columns={['Ticket', 'Summary', 'Status', 'Priority', 'Assignee', 'Score', 'Trend']}
            numeric={[5]}
            rows={o.topNegative.map((t) => [
              <a href={href(`/tickets/${encodeURIComponent(t.id)}`)}>{t.id}</a>,
              t.summary,
              t.status ?? '—',
              t.priority ?? '—',
              t.assignee ?? '—',
              formatScore(t.sentimentScore),
              t.trend ?? '—',
            ])}
          />
        </section>
      </div>
    </>
  );
}
