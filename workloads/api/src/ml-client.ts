// The ML service is called with whole batches (the old app's one-call-per-text was its bottleneck).

export interface Scored {
  label: 'negative' | 'neutral' | 'positive';
  probabilities: { negative: number; neutral: number; positive: number };
  score: number;
}

// The ML service refuses texts above its byte limit (32 KiB by default); a huge cell is scored on
// its head, which carries the gist, rather than failing the whole batch.
const MAX_TEXT_CHARS = 8000;

export class MlClient {
  constructor(
    private readonly baseUrl: string,
    readonly batchSize = 64,
  ) {}

  private async post<T>(path: string, texts: string[], pick: (body: unknown) => T[]): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const batch = texts.slice(i, i + this.batchSize).map((t) => t.slice(0, MAX_TEXT_CHARS));
      const res = await fetch(new URL(path, this.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texts: batch }),
      });
      if (!res.ok) throw new Error(`ML ${path} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      out.push(...pick(await res.json()));
    }
    return out;
  }

  sentiment(texts: string[]): Promise<Scored[]> {
    return this.post('/v1/sentiment', texts, (b) => (b as { results: Scored[] }).results);
  }

  embeddings(texts: string[]): Promise<number[][]> {
    return this.post('/v1/embeddings', texts, (b) => (b as { embeddings: number[][] }).embeddings);
  }
}
