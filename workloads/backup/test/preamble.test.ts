// The script pg_restore 17 writes begins with `SET transaction_timeout = 0`, which servers before 17 refuse;
// the preamble filter leaves out that line, for such a server only, and nothing past the preamble.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import test from 'ava';
import { preambleFilter } from '../src/restore.js';

// The head of a real pg_restore 17.12 script (--clean --if-exists --single-transaction --file=-).
const PREAMBLE = `--
-- PostgreSQL database dump
--

\\restrict e69IHSPeTAOdnpmxIjpHFgsM5YLMO3QkhWHeVjvTntc8HOdrrCmaJEVodmiPcDr

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 17.12 (Debian 17.12-0+deb13u1)

BEGIN;

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);
SET row_security = off;

`;
// A row whose text is the very line: past the preamble it is data, and must arrive as written.
const BODY = `DROP TABLE IF EXISTS public.t;
COPY public.t (v) FROM stdin;
SET transaction_timeout = 0;
\\.
COMMIT;
`;

/** The script through the filter, cut into chunks of `size` bytes (lines split across chunks too). */
async function filtered(drop: boolean, size: number): Promise<string> {
  const script = Buffer.from(PREAMBLE + BODY);
  const chunks: Buffer[] = [];
  for (let i = 0; i < script.length; i += size) chunks.push(script.subarray(i, i + size));
  return text(Readable.from(chunks).pipe(preambleFilter(drop)));
}

for (const size of [1, 7, 64, 100_000]) {
  test(`a server before 17: the preamble's SET transaction_timeout is left out, the data line is kept (${size}-byte chunks)`, async (t) => {
    const out = await filtered(true, size);
    t.is(out, PREAMBLE.replace('SET transaction_timeout = 0;\n', '') + BODY);
  });
}

test('a server of 17 or later gets the script unchanged', async (t) => {
  t.is(await filtered(false, 13), PREAMBLE + BODY);
});
