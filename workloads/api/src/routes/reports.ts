// Downloadable summaries for viewers: every ticket in scope as CSV (streamed page by page) and a
// printable PDF of the overview.
import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { AppDeps } from '../app/deps.js';
import { requireRole } from '../http/auth.js';
import { parseOr400 } from '../http/errors.js';
import { csvLine } from '../reports/csv.js';
import { summaryPdf } from '../reports/pdf.js';
import { overview, reportRows, type DayRange, type ReportRow } from '../store/dashboard.js';
import { rangeQuery } from './dashboard.js';

const COLUMNS = [
  'id',
  'summary',
  'status',
  'priority',
  'assignee',
  'created_at',
  'updated_at',
  'sentiment_score',
  'sentiment_label',
  'trend',
  'comments',
] as const satisfies readonly (keyof ReportRow)[];

async function* csvLines(rows: AsyncIterable<ReportRow>): AsyncGenerator<string> {
  yield csvLine(COLUMNS);
  for await (const row of rows)
    yield csvLine(
      COLUMNS.map((c) => {
        const v = row[c];
        return v instanceof Date ? v.toISOString() : v;
      }),
    );
}

function fileName(platform: string, range: DayRange, ext: 'csv' | 'pdf'): string {
  const span = range.from || range.to ? `-${range.from ?? 'start'}_${range.to ?? 'now'}` : '';
  return `sentiment-summary-${platform}${span}.${ext}`;
}

export function reportsRoutes(deps: AppDeps): Router {
  const r = new Router({ prefix: '/v1' });
  const platform = deps.config.SENTIMENT_PLATFORM;
  r.get('/reports/summary.csv', requireRole('viewer'), (ctx) => {
    const range = parseOr400(rangeQuery, ctx.query);
    ctx.attachment(fileName(platform, range, 'csv'));
    ctx.type = 'text/csv; charset=utf-8';
    ctx.body = Readable.from(csvLines(reportRows(deps.db, range)));
  });
  r.get('/reports/summary.pdf', requireRole('viewer'), async (ctx) => {
    const range = parseOr400(rangeQuery, ctx.query);
    const o = await overview(deps.db, range);
    ctx.attachment(fileName(platform, range, 'pdf'));
    ctx.type = 'application/pdf';
    ctx.body = summaryPdf(o, { platform, generatedAt: new Date(), range });
  });
  return r;
}
