// An uploaded file kept in the tenant's own database (upload_chunks, migration 5), in ~1 MiB chunks: the
// API pod writes it as it streams in and a worker pod reads it back, with no volume shared between them.
// Neither side holds more than a few chunks in memory. The job row owns the chunks (ON DELETE CASCADE);
// completing or failing a job deletes them (store/jobs.ts).
import { Readable } from 'node:stream';
import { HttpError } from '../http/errors.js';
import type { Db } from '../store/db.js';

export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
// Chunks a reader fetches per query: few round trips, a few MiB in memory.
const READ_WINDOW = 4;
// A reader hands its chunks on in slices of this size, so that bytesRead follows the parser closely.
const SLICE_BYTES = 64 * 1024;

type Query = Pick<Db, 'query'>;

// node-postgres returns bytea as a Buffer, PGlite as a Uint8Array.
const asBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * Stores `source` as the upload of job `jobId` (the row must exist) in chunks of exactly `chunkBytes`
 * (the last one shorter), one awaited insert per chunk, so the source is read no faster than the
 * database takes it. Resolves with the byte count. A chunk that would take the tenant's stored uploads
 * (every job's) past `quotaBytes` is not stored: HttpError 429, and the caller discards the rest.
 */
export async function writeUploadChunks(
  db: Query,
  jobId: string,
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  { quotaBytes = Number.MAX_SAFE_INTEGER, chunkBytes = UPLOAD_CHUNK_BYTES } = {},
): Promise<number> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let seq = 0;
  let total = 0;
  const put = async (data: Buffer) => {
    // Touching the job row shows the upload is still arriving (see sweepStaleUploads). The sum reads
    // each chunk's length from its header, not its data. Uploads arriving at once may each pass the
    // check: the quota can be overrun by a chunk per concurrent upload, no more.
    const stored = await db.query(
      `WITH alive AS (UPDATE jobs SET updated_at = now() WHERE id = $1)
       INSERT INTO upload_chunks (job_id, seq, data)
       SELECT $1, $2, $3
       WHERE (SELECT coalesce(sum(octet_length(data)), 0) FROM upload_chunks) + $4 <= $5
       RETURNING seq`,
      [jobId, seq++, data, data.length, quotaBytes],
    );
    if (stored.rows.length === 0)
      throw new HttpError(
        429,
        `this tenant's uploads waiting for their jobs would exceed ${quotaBytes} bytes; upload again once running jobs finish`,
      );
  };
  for await (const piece of source) {
    pending.push(piece);
    pendingBytes += piece.length;
    total += piece.length;
    if (pendingBytes < chunkBytes) continue;
    const joined = Buffer.concat(pending, pendingBytes);
    let at = 0;
    for (; joined.length - at >= chunkBytes; at += chunkBytes)
      await put(joined.subarray(at, at + chunkBytes));
    pending = at < joined.length ? [joined.subarray(at)] : [];
    pendingBytes = joined.length - at;
  }
  if (pendingBytes > 0) await put(Buffer.concat(pending, pendingBytes));
  return total;
}

/**
 * The first `bytes` (up to a chunk) of the upload, for the charset sniff, or null when nothing is
 * stored for the job.
 */
export async function readUploadHead(db: Query, jobId: string, bytes: number): Promise<Buffer | null> {
  const [r] = (
    await db.query<{ head: Uint8Array }>(
      'SELECT substring(data FROM 1 FOR $2) AS head FROM upload_chunks WHERE job_id = $1 AND seq = 0',
      [jobId, bytes],
    )
  ).rows;
  return r ? asBuffer(r.head) : null;
}

export async function hasUpload(db: Query, jobId: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM upload_chunks WHERE job_id = $1 AND seq = 0', [jobId]);
  return r.rows.length > 0;
}

/** The stored upload of a job as a byte stream, in chunk order, fetched READ_WINDOW chunks at a time. */
export class UploadReadStream extends Readable {
  /** Bytes handed on so far: against bytesTotal, the job's progress. */
  bytesRead = 0;
  #nextSeq = 0;
  #slices: Buffer[] = [];
  #fetchedAll = false;

  constructor(
    private readonly db: Query,
    private readonly jobId: string,
  ) {
    super();
  }

  override _read(): void {
    this.#nextSlice().then(
      (slice) => {
        if (slice) this.bytesRead += slice.length;
        this.push(slice);
      },
      (err: Error) => this.destroy(err),
    );
  }

  async #nextSlice(): Promise<Buffer | null> {
    if (this.#slices.length === 0 && !this.#fetchedAll) await this.#fetch();
    return this.#slices.shift() ?? null;
  }

  async #fetch(): Promise<void> {
    const rows = (
      await this.db.query<{ seq: number; data: Uint8Array }>(
        'SELECT seq, data FROM upload_chunks WHERE job_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3',
        [this.jobId, this.#nextSeq, READ_WINDOW],
      )
    ).rows;
    // Every stored upload has a chunk: an empty file is refused at upload.
    if (this.#nextSeq === 0 && rows.length === 0) throw new Error(`job ${this.jobId} has no stored upload`);
    if (rows.length < READ_WINDOW) this.#fetchedAll = true;
    for (const r of rows) {
      // A gap would splice two parts of the file together silently.
      if (r.seq !== this.#nextSeq)
        throw new Error(`the upload of job ${this.jobId} lacks chunk ${this.#nextSeq}`);
      this.#nextSeq++;
      const data = asBuffer(r.data);
      for (let at = 0; at < data.length; at += SLICE_BYTES)
        this.#slices.push(data.subarray(at, at + SLICE_BYTES));
    }
  }
}
