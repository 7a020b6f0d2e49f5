// Progress of an ingest job. The percentage comes from bytes when the API reports them; otherwise the bar
// is indeterminate until the job completes (100%) and the text gives the state and rows read.
import type { JobView } from '../api';

function jobPercent(job: JobView): number | null {
  if (job.state === 'completed') return 100;
  if (job.bytesTotal && typeof job.bytesRead === 'number')
    return Math.min(99, Math.floor((100 * job.bytesRead) / job.bytesTotal));
  return null;
}

export function JobProgress({ job }: { job: JobView }) {
  const pct = jobPercent(job);
  const text = `${job.state}: ${job.rowsRead} rows read, ${job.rowsScored} scored, ${job.errorCount} errors${pct === null ? '' : ` (${pct}%)`}`;
  return (
    <div className="job-progress">
      <label htmlFor={`progress-${job.id}`}>Import progress</label>
      <progress
        id={`progress-${job.id}`}
        max={100}
        value={pct ?? undefined}
        aria-valuetext={text}
        data-state={job.state}
      >
        {pct === null ? job.state : `${pct}%`}
      </progress>
      <p aria-live="polite" className="job-status">
        {text}
      </p>
      {job.failure ? (
        <p role="alert" className="error">
          Import failed: {job.failure}
        </p>
      ) : null}
      {job.errors.length > 0 ? (
        <details open>
          <summary>
            Row errors ({job.errorCount}
            {job.errorCount > job.errors.length ? `, first ${job.errors.length} shown` : ''})
          </summary>
          <ul className="row-errors">
            {job.errors.map((e) => (
              <li key={`${e.row}-${e.error}`}>
                Row {e.row}: {e.error}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
