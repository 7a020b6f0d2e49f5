// Recent ingest jobs; refreshed while any of them is still queued or running.
import { useEffect, useState } from 'react';
import { api } from '../api';
import { DataTable } from '../components/DataTable';
import { ErrorMessage, Loading } from '../components/Status';
import { formatDate } from '../format';
import { useAsync } from '../useAsync';

const REFRESH_MS = 2000;

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
          columns={['Source', 'Kind', 'State', 'Rows read', 'Scored', 'Indexed', 'Errors', 'Created', 'By']}
          numeric={[3, 4, 5, 6]}
          rows={data.items.map((j) => [
            j.source,
            j.kind,
            <span className={`state state-${j.state}`}>{j.state}</span>,
            j.rowsRead,
            j.rowsScored,
            j.rowsIndexed,
            j.errorCount > 0 || j.failure ? (
              <details>
                <summary>{j.errorCount}</summary>
                {j.failure ? <p className="error">{j.failure}</p> : null}
                <ul className="row-errors">
                  {j.errors.map((e) => (
                    <li key={`${e.row}-${e.error}`}>
                      Row {e.row}: {e.error}
                    </li>
                  ))}
                </ul>
              </details>
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
