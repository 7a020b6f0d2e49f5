// CSV upload for analysts and admins. After the upload the job is polled until it completes or fails;
// the progress bar and status text follow it.
import { useEffect, useState, type FormEvent } from 'react';
import { api, type Charset, type ColumnMapping, type JobView, type Role } from '../api';
import { JobProgress } from '../components/JobProgress';
import { ErrorMessage } from '../components/Status';
import { canUpload } from '../session';

const POLL_MS = 500;
const MAPPING_FIELDS: { key: keyof ColumnMapping; label: string; fallback: string }[] = [
  { key: 'id', label: 'Ticket id column', fallback: 'Issue key' },
  { key: 'summary', label: 'Summary column', fallback: 'Summary' },
  { key: 'description', label: 'Description column', fallback: 'Description' },
  { key: 'status', label: 'Status column', fallback: 'Status' },
  { key: 'priority', label: 'Priority column', fallback: 'Priority' },
  { key: 'assignee', label: 'Assignee column', fallback: 'Assignee' },
  { key: 'created', label: 'Created column', fallback: 'Created' },
  { key: 'updated', label: 'Updated column', fallback: 'Updated' },
  { key: 'commentPrefix', label: 'Comment column prefix', fallback: 'Comment' },
];

/** Polls `job` until it completes or fails; a failed poll re-arms the timer by replacing the object. */
function usePolling(job: JobView | null, setJob: (j: JobView) => void): void {
  useEffect(() => {
    if (!job || job.state === 'completed' || job.state === 'failed') return;
    let live = true;
    const timer = setTimeout(() => {
      api.job(job.id).then(
        (next) => live && setJob(next),
        () => live && setJob({ ...job }),
      );
    }, POLL_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [job, setJob]);
}

export function UploadPage({ role }: { role: Role }) {
  const allowed = canUpload(role);
  const [file, setFile] = useState<File | null>(null);
  const [mapping, setMapping] = useState<Partial<ColumnMapping>>({});
  const [charset, setCharset] = useState<'' | Charset>('');
  const [job, setJob] = useState<JobView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  usePolling(job, setJob);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setJob(null);
    try {
      const filled = Object.fromEntries(
        Object.entries(mapping).filter(([, v]) => v && v.trim()),
      ) as Partial<ColumnMapping>;
      setJob(await api.uploadCsv(file, filled, charset || undefined));
    } catch (err) {
      setError(`Upload failed: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Upload tickets</h1>
      {allowed ? null : (
        <p className="notice" id="upload-denied">
          Your role ({role}) can read the dashboard but not upload; ask an analyst or admin.
        </p>
      )}
      <form className="card stack" onSubmit={submit} aria-describedby={allowed ? undefined : 'upload-denied'}>
        <fieldset disabled={!allowed || busy}>
          <legend>Jira CSV export</legend>
          <label htmlFor="upload-file">CSV file</label>
          <input
            id="upload-file"
            type="file"
            accept=".csv,text/csv"
            required
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
          <label htmlFor="upload-charset">Character set</label>
          <select
            id="upload-charset"
            value={charset}
            onChange={(e) => setCharset(e.target.value as typeof charset)}
          >
            <option value="">Detect automatically</option>
            <option value="utf-8">UTF-8</option>
            <option value="latin1">Latin-1</option>
          </select>
          <details>
            <summary>Column mapping (optional)</summary>
            <p className="muted">
              Leave a field empty to use Jira's English column name (shown as the placeholder).
            </p>
            <div className="mapping">
              {MAPPING_FIELDS.map((f) => (
                <div key={f.key}>
                  <label htmlFor={`map-${f.key}`}>{f.label}</label>
                  <input
                    id={`map-${f.key}`}
                    type="text"
                    placeholder={f.fallback}
                    value={mapping[f.key] ?? ''}
                    onChange={(e) => setMapping({ ...mapping, [f.key]: e.target.value })}
                  />
                </div>
              ))}
            </div>
          </details>
          <button type="submit" disabled={!file}>
            {busy ? 'Uploading…' : 'Upload'}
          </button>
        </fieldset>
        <ErrorMessage error={error} />
      </form>
      {job ? (
        <section className="card" aria-labelledby="job-h">
          <h2 id="job-h">Import of {job.source || 'the file'}</h2>
          <JobProgress job={job} />
          {job.state === 'completed' ? (
            <p>
              <a href="#/">See the overview</a> · <a href="#/jobs">All jobs</a>
            </p>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
