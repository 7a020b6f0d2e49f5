// One ticket: its fields, the sentiment trajectory and the comment timeline.
import { api } from '../api';
import { Trajectory } from '../components/Charts';
import { LabelChip } from '../components/LabelChip';
import { ErrorMessage, Loading } from '../components/Status';
import { formatDate, formatScore } from '../format';
import { useAsync } from '../useAsync';

export function TicketDetailPage({ id }: { id: string }) {
  const { data: t, error, loading } = useAsync(() => api.ticket(id), [id]);
  return (
    <>
      <p>
        <a href="#/tickets">← All tickets</a>
      </p>
      <Loading loading={loading} what={`ticket ${id}`} />
      <ErrorMessage error={error} />
      {t ? (
        <>
          <h1>
            {t.id}: {t.summary}
          </h1>
          <dl className="facts card">
            <dt>Status</dt>
            <dd>{t.status ?? '—'}</dd>
            <dt>Priority</dt>
            <dd>{t.priority ?? '—'}</dd>
            <dt>Assignee</dt>
            <dd>{t.assignee ?? '—'}</dd>
            <dt>Created</dt>
            <dd>{formatDate(t.created_at)}</dd>
            <dt>Updated</dt>
            <dd>{formatDate(t.updated_at)}</dd>
            <dt>Score</dt>
            <dd>
              {formatScore(t.sentiment_score)} <LabelChip label={t.sentiment_label} />
            </dd>
            <dt>Trend</dt>
            <dd>{t.trend ?? '—'}</dd>
          </dl>
          {t.description ? <p className="description">{t.description}</p> : null}
          <div className="grid">
            <Trajectory points={t.trajectory ?? []} />
            <section className="card wide" aria-labelledby="timeline-h">
              <h2 id="timeline-h">Comments ({t.comments.length})</h2>
              <ol className="timeline">
                {t.comments.map((c) => (
                  <li key={c.seq} className={`comment comment-${c.label}`}>
                    <p className="comment-meta">
                      <strong>{c.author}</strong> ·{' '}
                      <time dateTime={c.created_at}>{formatDate(c.created_at)}</time> ·{' '}
                      <LabelChip label={c.label} />{' '}
                      <span className="muted">score {formatScore(c.score)}</span>
                    </p>
                    <p className="comment-body">{c.body}</p>
                  </li>
                ))}
              </ol>
            </section>
          </div>
        </>
      ) : null}
    </>
  );
}
