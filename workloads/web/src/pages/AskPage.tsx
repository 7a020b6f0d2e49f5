// Questions in plain language. The answer names which safe query shape produced it and shows the numbers
// it used, so a reader can check it; cited tickets link to their detail.
import { useState, type FormEvent } from 'react';
import { api, type AskAnswer } from '../api';
import { ErrorMessage } from '../components/Status';
import { formatScore } from '../format';
import { href } from '../router';

function Statistics({ value }: { value: unknown }) {
  if (value === null || typeof value !== 'object')
    return <>{typeof value === 'number' ? Number(value.toFixed(3)) : String(value)}</>;
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i + 1), v] as const)
    : Object.entries(value);
  return (
    <dl className="stats">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            <Statistics value={v} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function AskPage() {
  const [question, setQuestion] = useState('');
  const [answer, setAnswer] = useState<AskAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setAnswer(await api.ask(question.trim()));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Ask</h1>
      <form className="card stack" onSubmit={submit}>
        <label htmlFor="ask-q">Question about your tickets</label>
        <textarea
          id="ask-q"
          rows={3}
          minLength={3}
          maxLength={1000}
          required
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
        />
        <button type="submit" disabled={busy || question.trim().length < 3}>
          {busy ? 'Thinking…' : 'Ask'}
        </button>
        <ErrorMessage error={error} />
      </form>
      <section aria-live="polite" aria-busy={busy}>
        {answer ? (
          <article className="card answer" aria-labelledby="answer-h">
            <h2 id="answer-h">
              Answer{' '}
              <span className={`badge mode-${answer.mode}`} title={`provider: ${answer.provider}`}>
                {answer.mode === 'llm' ? `LLM (${answer.provider})` : 'template'}
              </span>
            </h2>
            {answer.warning ? (
              // Why the answer is templated or incomplete (the LLM failed, search or ML was unavailable, …).
              <p className="notice answer-warning">Note: {answer.warning}</p>
            ) : null}
            <p className="answer-text">{answer.answer}</p>
            <p className="muted">Query shape: {answer.shape}</p>
            {answer.citations.length > 0 ? (
              <>
                <h3>Cited tickets</h3>
                <ul className="citations">
                  {answer.citations.map((c) => (
                    <li key={c.id}>
                      <a href={href(`/tickets/${encodeURIComponent(c.id)}`)}>{c.id}</a>: {c.summary} (score{' '}
                      {formatScore(c.sentimentScore)})
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            <details open>
              <summary>Statistics used</summary>
              <Statistics value={answer.statistics} />
            </details>
          </article>
        ) : null}
      </section>
    </>
  );
}
