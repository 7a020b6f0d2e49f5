// Recent ingest jobs with their row errors and warnings; refreshed while any is queued or running.
import { useEffect, useState } from 'react';
import { api } from '../api';
import { DataTable } from '../components/DataTable';
import { ErrorMessage, Loading } from '../components/Status';
import { formatDate } from '../format';
import { useAsync } from '../useAsync';

const REFRESH_MS = 2000;

/**
 * A count that opens onto its rows: errors (rows not stored) or warnings (rows stored with something
 * changed or left out). The API keeps the first 1000 of each; the count is exact.
 */
function RowIssues(props: {
  count: number;
  items: { row: number; text: string }[];
  failure?: string | null;
}) {
  const { count, items, failure } = props;
  return (
    <details>
      <summary>{count}</summary>
      {failure ? <p className="error">{failure}</p> : null}
      {count > items.length ? <p>First {items.length} shown.</p> : null}
      <ul className="row-errors">
        {items.map((i, k) => (
          <li key={k}>
            Row {i.row}: {i.text}
          </li>
        ))}
      </ul>
    </details>
  );
}

export function JobsPage() {
  const [tick, setTick] = useState(0);
  const { data, error, loading } = useAsync(() => api.jobs(50), [tick]);
  const active = data?.items.some((j) => j.state === 'queued' || j.state === 'running') ?? false;
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(() => setTick((t) => t + 1), REFRESH_MS);
    return () => clearTimeout(timer);
  }, [active, data]);

  return (
    <>
      <h1>Jobs</h1>
      <Loading loading={loading && !data} what="jobs" />
      <ErrorMessage error={error} />
      {data ? (
        <DataTable
          caption="Ingest jobs, newest first"
          columns={[
            'Source',
            'Kind',
            'State',
            'Rows read',
            'Scored',
            'Indexed',
            'Errors',
            'Warnings',
            'Created',
            'By',
          ]}
          numeric={[3, 4, 5, 6, 7]}
          rows={data.items.map((j) => [
            j.source,
            j.kind,
            <span className={`state state-${j.state}`}>{j.state}</span>,
            j.rowsRead,
            j.rowsScored,
            j.rowsIndexed,
            j.errorCount > 0 || j.failure ? (
              <RowIssues
                count={j.errorCount}
                failure={j.failure}
                items={j.errors.map((e) => ({ row: e.row, text: e.error }))}
              />
            ) : (
              0
            ),
            j.warningCount > 0 ? (
              <RowIssues
                count={j.warningCount}
                items={j.warnings.map((w) => ({ row: w.row, text: w.warning }))}
              />
            ) : (
              0
            ),
            formatDate(j.createdAt),
            j.createdBy ?? '—',
          ])}
        />
      ) : null}
    </>
  );
}
