// Jira exports arrive as UTF-8 or, from older Windows setups, in Windows-1252 (what "Latin-1" means in
// practice: the WHATWG encoding standard maps the latin1 label to windows-1252, whose 0x80–0x9F are
// € ‘ ’ “ ” … rather than control characters). The declared charset wins; otherwise the first chunk is
// sniffed: a UTF-8 BOM, or bytes that are not valid UTF-8, decide.
import { Transform, type TransformCallback } from 'node:stream';
import iconv from 'iconv-lite';
import { PermanentJobError } from '../queue/queue.js';

export type Charset = 'utf-8' | 'latin1';

export function detectCharset(head: Buffer): Charset {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  // A multi-byte sequence may be cut at the end of the sample: ignore the last 3 bytes.
  const sample = head.subarray(0, Math.max(0, head.length - 3));
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample);
    return 'utf-8';
  } catch {
    return 'latin1';
  }
}

/** Bytes in, text out. UTF-8 that turns out invalid past the sniffed head is refused, never decoded to U+FFFD. */
export function decoder(charset: Charset): Transform {
  if (charset === 'latin1') return iconv.decodeStream('windows-1252') as unknown as Transform;
  return new StrictUtf8Decoder();
}

class StrictUtf8Decoder extends Transform {
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  private offset = 0;

  constructor() {
    super({ readableObjectMode: false, decodeStrings: true, encoding: 'utf8' });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      const text = this.utf8.decode(chunk, { stream: true });
      this.offset += chunk.length;
      done(null, text);
    } catch {
      done(this.invalid());
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      done(null, this.utf8.decode());
    } catch {
      done(this.invalid());
    }
  }

  private invalid(): PermanentJobError {
    return new PermanentJobError(
      `the file is not valid UTF-8 (near byte ${this.offset}): it looks like a Windows (Latin-1 / Windows-1252) ` +
        'export. The batches committed before that point stay; upload the file again with charset latin1 ' +
        '(tickets are replaced by their key, so nothing is imported twice)',
    );
  }
}
