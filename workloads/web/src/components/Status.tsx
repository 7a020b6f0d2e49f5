// Loading and error notices. Both sit in live regions so screen readers announce them without focus moving.
export function ErrorMessage({ error }: { error: string | null }) {
  return (
    <div role="alert" className={error ? 'error' : undefined}>
      {error}
    </div>
  );
}

export function Loading({ loading, what }: { loading: boolean; what: string }) {
  return (
    <p aria-live="polite" className="muted">
      {loading ? `Loading ${what}…` : ''}
    </p>
  );
}
