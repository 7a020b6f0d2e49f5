// Receives a CSV upload (multipart/form-data) as a stream handed to a sink as it arrives: the file never
// sits in memory, and one over the size limit is cut off, discarded and refused. The optional `mapping`
// and `charset` fields come before the `file` field, so a bad option is refused before any byte of the
// file is stored.
import type { IncomingMessage } from 'node:http';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { HttpError } from '../http/errors.js';
import { DEFAULT_MAPPING, type ColumnMapping } from '../jira/mapping.js';
import { charsetSchema, mappingOverrideSchema } from './csv-options.js';
import type { Charset } from './decode.js';

export interface UploadedFile {
  /** The client's file name (base name only), for the job's `source`. */
  filename: string;
  mapping: ColumnMapping;
  charset?: Charset;
}

export interface UploadSink {
  /** Stores the file as it streams in (its options are known by then); resolves with its byte count. */
  store(file: UploadedFile, stream: Readable): Promise<number>;
  /** Removes what `store` kept: the upload was refused or cut off. Called once `store` has settled. */
  discard(): Promise<void>;
}

// Multipart framing and the small fields around the file: a body declaring more than the limit plus
// this is refused before a byte of it is read.
const FRAMING_BYTES = 64 * 1024;
const MAX_FIELD_BYTES = 16 * 1024;

const zodMessage = (field: string, issues: { path: PropertyKey[]; message: string }[]) =>
  issues.map((i) => `${[field, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');

function parseMapping(raw: string): ColumnMapping {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'mapping: not valid JSON');
  }
  const r = mappingOverrideSchema.safeParse(json);
  if (!r.success) throw new HttpError(400, zodMessage('mapping', r.error.issues));
  return r.data;
}

function parseCharset(raw: string): Charset {
  const r = charsetSchema.safeParse(raw);
  if (!r.success) throw new HttpError(400, `charset: must be one of ${charsetSchema.options.join(', ')}`);
  return r.data;
}

export async function receiveCsvUpload(
  req: IncomingMessage,
  target: { maxBytes: number; sink: UploadSink },
): Promise<UploadedFile & { bytes: number }> {
  if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
    throw new HttpError(415, 'expected multipart/form-data with the CSV in a field named "file"');
  }
  const declared = Number(req.headers['content-length']);
  if (declared > target.maxBytes + FRAMING_BYTES)
    throw new HttpError(413, `the upload exceeds ${target.maxBytes} bytes`);

  let bb: busboy.Busboy;
  try {
    // One byte over the limit: busboy flags a file that merely reaches fileSize as truncated.
    bb = busboy({
      headers: req.headers,
      limits: { files: 1, fileSize: target.maxBytes + 1, fields: 4, fieldSize: MAX_FIELD_BYTES, parts: 6 },
    });
  } catch (err) {
    throw new HttpError(400, `malformed multipart request: ${(err as Error).message}`);
  }

  let mapping: ColumnMapping = DEFAULT_MAPPING;
  let charset: Charset | undefined;
  let file:
    { stream: Readable; meta: UploadedFile; written: Promise<number>; truncated: boolean } | undefined;
  // The first problem is the answer; the rest of the body is still read so the client sees it.
  let problem: HttpError | undefined;
  const refuse = (status: number, message: string) => {
    problem ??= new HttpError(status, message);
  };
  // Ends the parse with the sink's error (set below, with the promise it rejects).
  let sinkFailed: (err: unknown) => void = () => undefined;

  bb.on('field', (name, value, info) => {
    if (file) return refuse(400, `field "${name}" must come before the file`);
    if (info.valueTruncated) return refuse(400, `field "${name}" exceeds ${MAX_FIELD_BYTES} bytes`);
    if (!value.trim()) return;
    try {
      if (name === 'mapping') mapping = parseMapping(value);
      else if (name === 'charset') charset = parseCharset(value.trim());
      else if (name === 'file') refuse(400, 'the "file" field must be a file upload (with a filename)');
      else refuse(400, `unknown field "${name}" (fields: mapping, charset, file)`);
    } catch (err) {
      problem ??= err as HttpError;
    }
  });
  bb.on('file', (name, stream, info) => {
    if (name !== 'file') {
      stream.resume();
      return refuse(400, `unknown file field "${name}"; send the CSV as "file"`);
    }
    if (problem) {
      stream.resume();
      return;
    }
    // The sink reads it through its iteration; an error before that starts must not crash the process.
    stream.on('error', () => undefined);
    const meta = { filename: basename(info.filename || 'upload.csv').slice(0, 200), mapping, charset };
    const f = { stream, meta, truncated: false, written: target.sink.store(meta, stream) };
    // A sink that gave up reads no more, and busboy would wait for it forever: the parse ends with the
    // sink's error, and the rest of the body is drained unparsed.
    f.written.catch((err: unknown) => {
      req.unpipe(bb);
      req.resume();
      sinkFailed(err);
    });
    stream.on('limit', () => {
      f.truncated = true;
    });
    file = f;
  });
  bb.on('filesLimit', () => refuse(400, 'send exactly one file'));
  bb.on('fieldsLimit', () => refuse(400, 'too many fields (fields: mapping, charset, file)'));
  bb.on('partsLimit', () => refuse(400, 'too many parts (fields: mapping, charset, file)'));

  const parsed = new Promise<void>((resolve, reject) => {
    sinkFailed = reject;
    bb.on('close', resolve);
    bb.on('error', (err: Error) => reject(new HttpError(400, `malformed multipart request: ${err.message}`)));
    // A client that goes away mid-upload leaves busboy waiting for an end that never comes.
    req.on('close', () => {
      if (!req.complete) bb.destroy(new Error('the upload was interrupted'));
    });
  });
  req.pipe(bb);

  try {
    await parsed;
    const bytes = await file?.written;
    if (file?.truncated) throw new HttpError(413, `the file exceeds ${target.maxBytes} bytes`);
    if (problem) throw problem;
    if (!file || bytes === undefined)
      throw new HttpError(400, 'no file: send the CSV in a field named "file"');
    if (bytes === 0) throw new HttpError(400, 'the file is empty');
    return { ...file.meta, bytes };
  } catch (err) {
    if (file) {
      file.stream.destroy();
      await file.written.catch(() => undefined);
      // The original error is the answer; what a failed discard leaves is swept later (sweepStaleUploads).
      await target.sink.discard().catch(() => undefined);
    }
    throw err;
  }
}
