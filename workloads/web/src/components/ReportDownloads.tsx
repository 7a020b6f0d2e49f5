// Report downloads need the bearer token, which a plain link cannot send: fetch, then save the blob.
import { useState } from 'react';
import { api } from '../api';
import { ErrorMessage } from './Status';

function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The click has handed the blob to the download manager; the URL is not needed after this turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function ReportDownloads({ from, to }: { from?: string; to?: string }) {
  const [busy, setBusy] = useState<'csv' | 'pdf' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const download = async (kind: 'csv' | 'pdf') => {
    setBusy(kind);
    setError(null);
    try {
      save(await api.report(kind, from, to), `sentiment-summary.${kind}`);
    } catch (err) {
      setError(`Report download failed: ${(err as Error).message}`);
    } finally {
      setBusy(null);
    }
  };
  return (
    <section className="reports" aria-label="Reports">
      <button type="button" onClick={() => download('csv')} disabled={busy !== null}>
        {busy === 'csv' ? 'Preparing CSV…' : 'Download CSV report'}
      </button>
      <button type="button" onClick={() => download('pdf')} disabled={busy !== null}>
        {busy === 'pdf' ? 'Preparing PDF…' : 'Download PDF report'}
      </button>
      <ErrorMessage error={error} />
    </section>
  );
}
