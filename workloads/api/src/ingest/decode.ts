// Jira exports arrive as UTF-8 or Latin-1 (older Windows setups). The declared charset wins; otherwise
// the first chunk is sniffed: a UTF-8 BOM, or bytes that are not valid UTF-8, decide.
import iconv from 'iconv-lite';
import type { Transform } from 'node:stream';

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

export function decoder(charset: Charset): Transform {
  return iconv.decodeStream(charset === 'utf-8' ? 'utf8' : 'latin1', {
    stripBOM: true,
  }) as unknown as Transform;
}
