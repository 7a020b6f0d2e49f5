// End to end in a real browser: the built SPA served by the API in local mode (PGlite, in-process queue,
// Postgres search, template answers: its self-hosted LLM is down) with the real ML service; at the end,
// the same build served from other origins, as CloudFront serves it in AWS. Each step saves a screenshot
// under test-artifacts/ and the paths are printed at the end.
import test from 'ava';
import { createReadStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { createApiServer, loadConfig, type ApiServer } from '@sentiment/api';
import { startLocalMl, type MlServer } from '@sentiment/ml';

const WEB = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(WEB, 'dist');
const ARTIFACTS = join(WEB, 'test-artifacts');
const FIXTURE = join(WEB, 'test', 'fixtures', 'tickets.csv');
const ADMIN = { email: 'admin@web.example', password: 'browser test password' };

// What the fixture holds, read from the file itself: every cell is quoted and none contains a quote.
const fixtureRows = readFileSync(FIXTURE, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.slice(1, -1).split('","'));
const validRows = fixtureRows.filter((r) => /^WEB-\d+$/.test(r[0]!));
const commentsOf = (row: string[]) => row.slice(8).filter((c) => c.trim() !== '');
const EXPECTED = {
  tickets: validRows.length,
  comments: validRows.reduce((n, r) => n + commentsOf(r).length, 0),
  badRows: fixtureRows.length - validRows.length,
  high: validRows.filter((r) => r[4] === 'High').length,
};

let ml: MlServer;
let api: ApiServer;
let base: string;
let browser: Browser;
let page: Page;
const shots: string[] = [];
const pageErrors: string[] = [];

async function shot(name: string, on: Page = page): Promise<void> {
  const path = join(ARTIFACTS, `${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
  await on.screenshot({ path, fullPage: true });
  shots.push(path);
}

interface Site {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/**
 * dist/ on a plain static host of its own origin, like S3 behind CloudFront: files as they are, any other
 * path (and method) the SPA shell, and /config.json only when `config` gives one.
 */
async function staticSite(config?: () => unknown): Promise<Site> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://site').pathname;
    if (path === '/config.json' && config) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config()));
      return;
    }
    const file = join(DIST, path);
    const target =
      file.startsWith(DIST) && statSync(file, { throwIfNoEntry: false })?.isFile()
        ? file
        : join(DIST, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream' });
    createReadStream(target).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// Other origins serving the same build: one the API allows, one that pins the API in config.json (also
// allowed), and one the API does not allow. The first and the last list the API in config.json's apiOrigins,
// as the infra's Frontend stack lists the tenants' API hosts.
let sites: { open: Site; pinned: Site; refused: Site };
/** A self-hosted LLM that is down (503 to everything): questions get the template, with a warning. */
let llm: Site;

/** Cells of the data table that accompanies the chart captioned `title`. */
async function chartTable(title: string): Promise<string[][]> {
  const figure = page.locator('figure', {
    has: page.locator('figcaption', { hasText: new RegExp(`^${title}$`) }),
  });
  await figure.waitFor();
  return figure
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent?.trim() ?? '')),
    );
}

test.before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // ava sets NODE_ENV=test, which Vite would bake in (React's development build): build what ships.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: WEB, logLevel: 'warn' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  const local = await startLocalMl({ threads: 1 });
  ml = local.server;
  const mlUrl = local.url;
  const down = createServer((_req, res) => res.writeHead(503).end());
  await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
  llm = {
    url: `http://127.0.0.1:${(down.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => down.close(() => resolve())),
  };
  sites = {
    open: await staticSite(() => ({ apiOrigins: [base] })),
    pinned: await staticSite(() => ({ apiUrl: base })),
    refused: await staticSite(() => ({ apiOrigins: [base] })),
  };
  api = await createApiServer(
    loadConfig({
      SENTIMENT_PLATFORM: 'test',
      LOCAL_MODE: 'true',
      JWT_SECRET: 'w'.repeat(40),
      ML_URL: mlUrl,
      LLM_PROVIDER: 'self-hosted',
      LLM_BASE_URL: `${llm.url}/v1`,
      LLM_MODEL: 'down',
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      WEB_DIR: DIST,
      PORT: '0',
      CORS_ORIGINS: `${sites.open.url},${sites.pinned.url}`,
    }),
  );
  base = await api.listen(0);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

test.after.always(async () => {
  await browser?.close();
  await api?.close();
  await ml?.close();
  for (const site of Object.values(sites ?? {})) await site.close();
  await llm?.close();
  console.log(`screenshots:\n${shots.map((s) => `  ${s}`).join('\n')}`);
});

test.serial('signed out, any route shows the login form; a wrong password is announced', async (t) => {
  await page.goto(`${base}/#/tickets`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'wrong email or password' }).waitFor();
  await shot('login-error');
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  t.truthy(await page.evaluate(() => sessionStorage.getItem('sentiment.token')));
  t.is(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).count(), 1);
  await shot('overview-empty');
});

test.serial('upload: the progress bar reaches 100% and row errors are listed', async (t) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).click();
  await page.getByLabel('CSV file').setInputFiles(FIXTURE);
  await page.getByRole('button', { name: 'Upload' }).click();
  const progress = page.locator('progress');
  await progress.waitFor();
  const seen = new Set<string>();
  const deadline = Date.now() + 5 * 60_000;
  while ((await progress.getAttribute('value')) !== '100' && Date.now() < deadline) {
    seen.add((await page.locator('.job-status').textContent()) ?? '');
    await page.waitForTimeout(100);
  }
  t.is(await progress.getAttribute('value'), '100');
  t.is(await progress.getAttribute('data-state'), 'completed');
  const status = (await page.locator('.job-status').textContent()) ?? '';
  t.regex(
    status,
    new RegExp(
      `completed: ${EXPECTED.tickets + EXPECTED.badRows} rows read, ${EXPECTED.tickets} scored, ${EXPECTED.badRows} errors`,
    ),
  );
  t.is(await page.locator('.row-errors li').count(), EXPECTED.badRows);
  t.regex((await page.locator('.row-errors').textContent()) ?? '', /invalid ticket id "bad key!"/);
  t.log(`job states seen while polling: ${[...seen].join(' | ')}`);
  await shot('upload-complete');
});

test.serial('overview charts are drawn and their numbers match the upload', async (t) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
  await page.getByTestId('total-tickets').waitFor();
  t.is(await page.getByTestId('total-tickets').textContent(), String(EXPECTED.tickets));
  t.is(await page.getByTestId('total-comments').textContent(), String(EXPECTED.comments));

  const sum = (rows: string[][], col: number) => rows.reduce((n, r) => n + Number(r[col]), 0);
  const comments = await chartTable('Comment sentiment');
  t.deepEqual(
    comments.map((r) => r[0]),
    ['negative', 'neutral', 'positive'],
  );
  t.is(sum(comments, 1), EXPECTED.comments);
  // The fixture's complaints and thanks are unambiguous: both classes must be well represented.
  t.true(Number(comments[0]![1]) > 20 && Number(comments[2]![1]) > 20);
  t.is(sum(await chartTable('Ticket sentiment'), 1), EXPECTED.tickets);
  t.is(sum(await chartTable('Tickets by priority'), 1), EXPECTED.tickets);
  t.is(sum(await chartTable('Tickets by status'), 1), EXPECTED.tickets);
  const days = await chartTable('Sentiment by day');
  t.is(sum(days, 1), EXPECTED.comments);
  // The fixture's ordinary days balance out; its burst of complaints on 15 Mar is the anomaly.
  t.deepEqual(
    days.filter((d) => d[6] !== '').map((d) => [d[0], d[6]]),
    [['2024-03-15', 'negative']],
  );
  t.regex((await page.locator('.anomalies').textContent()) ?? '', /2024-03-15: negative swing/);
  t.is(await page.locator('.recharts-reference-dot').count(), 1, 'anomaly marked on the trend');

  // ResponsiveContainer measures its box before the chart draws: wait for the drawing.
  await page.locator('path.recharts-line-curve').waitFor();
  t.true(
    (await page.locator('.recharts-pie-sector path, path.recharts-sector').count()) >= 3,
    'pie sectors drawn',
  );
  t.true((await page.locator('path.recharts-rectangle').count()) >= 4, 'bars drawn');
  t.is(await page.locator('path.recharts-line-curve').count(), 1, 'trend line drawn');
  t.is(await page.locator('.chart-box[role="img"]').count(), 5);
  for (const name of await page
    .locator('.chart-box[role="img"]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))) {
    t.regex(name, /\. \S/, 'every chart has a name and a summary');
  }
  t.is(await page.locator('#top-negative-h + .table-scroll tbody tr').count(), 10);
  await shot('overview-filled');
});

test.serial('tickets list filters by priority and pages', async (t) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tickets' }).click();
  await page.getByText(`Tickets (${EXPECTED.tickets} matching)`).waitFor();
  t.is(await page.locator('tbody tr').count(), 25);
  t.is(
    (await page.getByRole('navigation', { name: 'Pagination' }).textContent())?.includes(
      `1–25 of ${EXPECTED.tickets}`,
    ),
    true,
  );
  await page.getByLabel('Priority').fill('High');
  await page.getByLabel('Sort by').selectOption('score');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByText(`Tickets (${EXPECTED.high} matching)`).waitFor();
  t.is(await page.locator('tbody tr').count(), EXPECTED.high);
  t.regex(page.url(), /#\/tickets\?.*priority=High/);
  const scores = await page.locator('tbody tr td:nth-child(7)').allTextContents();
  t.deepEqual(
    scores.map(Number),
    [...scores.map(Number)].sort((a, b) => a - b),
    'sorted most negative first',
  );
  await shot('tickets-filtered');
});

test.serial('search marks the matched word', async (t) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click();
  await page.getByLabel('Search tickets and comments').fill('invoice');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('.results mark').first().waitFor();
  const marks = await page.locator('.results mark').allTextContents();
  t.true(marks.length > 0);
  for (const m of marks) t.regex(m, /invoice/i);
  t.is(await page.locator('.results img, .results b').count(), 0, 'markup in the data is not rendered');
  const expected = validRows.filter((r) => r.join(' ').toLowerCase().includes('invoice')).length;
  t.is(await page.locator('.results > li').count(), Math.min(expected, 20));
  await shot('search-highlights');
});

test.serial('ticket detail shows the timeline and the trajectory chart', async (t) => {
  const row = validRows.find((r) => commentsOf(r).length >= 4)!;
  await page.goto(`${base}/#/tickets/${row[0]}`);
  await page.getByRole('heading', { name: new RegExp(`^${row[0]}: `) }).waitFor();
  const items = page.locator('.timeline > li');
  t.is(await items.count(), commentsOf(row).length);
  const first = commentsOf(row)[0]!.split(';');
  t.regex((await items.first().textContent()) ?? '', new RegExp(first[1]!));
  t.regex(
    (await items.first().textContent()) ?? '',
    new RegExp(
      first
        .slice(2)
        .join(';')
        .slice(0, 30)
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    ),
  );
  t.is(await items.first().locator('.chip').count(), 1);
  await page.locator('path.recharts-line-curve').first().waitFor();
  t.is(await page.locator('path.recharts-line-curve').count(), 2, 'score and rolling lines');
  t.is((await chartTable('Sentiment trajectory')).length, commentsOf(row).length);
  await shot('ticket-detail');
  // Text from the data is shown as text: markup in a description stays inert.
  await page.goto(`${base}/#/tickets/WEB-8`);
  await page.getByRole('heading', { name: /^WEB-8: / }).waitFor();
  t.is(await page.locator('.description').textContent(), validRows.find((r) => r[0] === 'WEB-8')![2]!);
  t.is(await page.locator('main img, main b').count(), 0);
});

test.serial('ask answers with its warning and cites a ticket that links to its detail', async (t) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Ask' }).click();
  await page.getByLabel('Question about your tickets').fill('Which tickets are the most negative?');
  await page.getByRole('button', { name: 'Ask' }).click();
  await page.locator('.answer-text').waitFor();
  t.true(((await page.locator('.answer-text').textContent()) ?? '').length > 10);
  t.is(await page.locator('.answer .badge').textContent(), 'template');
  // The API's `warning`, here because the LLM did not answer.
  t.regex(
    (await page.locator('.answer .answer-warning').textContent()) ?? '',
    /language model \(self-hosted\) did not answer; this is the templated answer/,
  );
  const cited = page.locator('.citations a');
  t.true((await cited.count()) > 0);
  await shot('ask-answer');
  const id = await cited.first().textContent();
  await cited.first().click();
  await page.getByRole('heading', { name: new RegExp(`^${id}: `) }).waitFor();
  t.pass();
});

test.serial('keyboard: Tab reaches the main navigation and Enter follows a link', async (t) => {
  // A fresh load, so focus starts at the top of the document as it does for a keyboard user.
  await page.goto(`${base}/#/`);
  await page.reload();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  let focused = '';
  for (let i = 0; i < 20 && focused !== 'Jobs'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() =>
      document.activeElement?.closest('nav') ? (document.activeElement.textContent ?? '') : '',
    );
  }
  t.is(focused, 'Jobs');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  t.not(outline, 'none', 'focus is visible');
  await shot('keyboard-focus');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
  t.true(page.url().endsWith('#/jobs'));
  t.is(await page.evaluate(() => document.activeElement?.id), 'main', 'focus moves to the new page');
  await page.locator('tbody tr .state-completed').first().waitFor();
  t.is(await page.locator('tbody tr .state-completed').count(), 1);
  await shot('jobs');
});

test.serial('report downloads carry the bearer token', async (t) => {
  await page.goto(`${base}/#/`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV report' }).click(),
  ]);
  t.is(download.suggestedFilename(), 'sentiment-summary.csv');
  const text = readFileSync((await download.path())!, 'utf8');
  for (const r of validRows) t.true(text.includes(r[0]!), `${r[0]} in the CSV report`);
  const [pdf] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download PDF report' }).click(),
  ]);
  t.is(
    readFileSync((await pdf.path())!)
      .subarray(0, 5)
      .toString(),
    '%PDF-',
  );
});

test.serial('a narrow (390px) viewport stacks the cards in one column', async (t) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/#/`);
  await page.getByTestId('total-tickets').waitFor();
  await page.locator('path.recharts-line-curve').waitFor();
  // Charts follow their box through a ResizeObserver: wait until they have narrowed.
  await page.waitForFunction(() =>
    Array.from(document.querySelectorAll('.recharts-wrapper')).every(
      (e) => e.getBoundingClientRect().right <= 390,
    ),
  );
  const layout = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    lefts: [
      ...new Set(
        Array.from(document.querySelectorAll('.grid > *'), (e) => Math.round(e.getBoundingClientRect().left)),
      ),
    ],
  }));
  t.true(layout.scroll <= 390, `no horizontal scroll (page is ${layout.scroll}px wide)`);
  t.is(layout.lefts.length, 1, 'one column');
  t.true(await page.getByTestId('total-tickets').isVisible());
  await shot('narrow-overview');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test.serial('viewers see no upload; an invalid token returns to the login page', async (t) => {
  const viewer = await api.deps.tokens.issue('viewer@web.example', 'viewer');
  await page.evaluate((token) => {
    sessionStorage.setItem('sentiment.token', token);
    sessionStorage.setItem('sentiment.role', 'viewer');
  }, viewer);
  // The app reads the session at start: load it again.
  await page.goto(`${base}/#/upload`);
  await page.reload();
  await page.getByRole('heading', { name: 'Upload tickets' }).waitFor();
  t.is(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).count(), 0);
  t.true(await page.getByLabel('CSV file').isDisabled());
  await shot('viewer-upload-disabled');
  await page.evaluate(() => sessionStorage.setItem('sentiment.token', 'not-a-jwt'));
  await page.goto(`${base}/#/tickets`);
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  t.is(await page.evaluate(() => sessionStorage.getItem('sentiment.token')), null);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  t.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});

test.serial('another origin: sign in to the API named under "Other organisation"', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(30_000);
  const errors: string[] = [];
  context.on('weberror', (err) => errors.push(err.error().message));
  const other = await context.newPage();
  try {
    await other.goto(`${sites.open.url}/#/`);
    await other.getByRole('heading', { name: 'Sign in' }).waitFor();
    t.false(
      await other.getByLabel('Tenant API address').isVisible(),
      'collapsed: not needed when the site is the API',
    );
    await other.getByLabel('Email').fill(ADMIN.email);
    await other.getByLabel('Password').fill(ADMIN.password);
    // This site is no API: left empty, the address is this site's own, and the form says so.
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other
      .getByRole('alert')
      .filter({ hasText: `no sentiment API answered at ${sites.open.url}. Enter your API address under` })
      .waitFor();
    await other.getByText('Other organisation', { exact: true }).click();
    await other.getByLabel('Tenant API address').fill(`${base}/`);
    await shot('cross-origin-login', other);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    t.is(await other.getByTestId('total-tickets').textContent(), String(EXPECTED.tickets));
    t.is(await other.evaluate(() => sessionStorage.getItem('sentiment.api')), base, 'trailing slash dropped');
    t.is(await other.evaluate(() => localStorage.getItem('sentiment.lastApi')), base);
    const [download] = await Promise.all([
      other.waitForEvent('download'),
      other.getByRole('button', { name: 'Download CSV report' }).click(),
    ]);
    t.true(
      readFileSync((await download.path())!, 'utf8').includes(validRows[0]![0]!),
      'report fetched across origins',
    );
    await shot('cross-origin-overview', other);
    // A reload keeps the session on its API.
    await other.reload();
    await other.getByTestId('total-tickets').waitFor();
    t.is(await other.getByTestId('total-tickets').textContent(), String(EXPECTED.tickets));
    // Signed out, the next visit offers the address used last.
    await other.evaluate(() => sessionStorage.clear());
    await other.reload();
    t.is(await other.getByLabel('Tenant API address').inputValue(), base);

    // An origin the API does not list (config.json lists the API, so the dashboard sends): the browser
    // withholds the answer; ?api= in the link fills the address.
    const refused = await context.newPage();
    await refused.goto(`${sites.refused.url}/?api=${encodeURIComponent(base)}#/`);
    t.is(await refused.getByLabel('Tenant API address').inputValue(), base);
    await refused.getByLabel('Email').fill(ADMIN.email);
    await refused.getByLabel('Password').fill(ADMIN.password);
    await refused.getByRole('button', { name: 'Sign in' }).click();
    await refused
      .getByRole('alert')
      .filter({ hasText: `could not reach the API at ${base}` })
      .waitFor();
    t.is(await refused.evaluate(() => sessionStorage.getItem('sentiment.token')), null);

    // config.json pins the API: no address to enter.
    const pinned = await context.newPage();
    await pinned.goto(`${sites.pinned.url}/#/`);
    await pinned.getByRole('heading', { name: 'Sign in' }).waitFor();
    t.is(await pinned.getByText('Other organisation', { exact: true }).count(), 0);
    await pinned.getByLabel('Email').fill(ADMIN.email);
    await pinned.getByLabel('Password').fill(ADMIN.password);
    await pinned.getByRole('button', { name: 'Sign in' }).click();
    await pinned.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    t.is(await pinned.getByTestId('total-tickets').textContent(), String(EXPECTED.tickets));
    t.deepEqual(errors, [], 'no uncaught errors in the pages');
  } finally {
    await context.close();
  }
});

test.serial(
  'a crafted link cannot make the dashboard send a password to an address config.json does not list',
  async (t) => {
    // Answers as an API that accepts any password would: what reaches it is what a phishing link captures.
    const captured: string[] = [];
    const phished = {
      status: 200,
      headers: {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
        'access-control-allow-headers': 'content-type, authorization',
      },
      body: JSON.stringify({ token: 'phished', role: 'admin', email: ADMIN.email }),
    };
    // A real listener on an origin nobody listed (loopback, so plain http is not why it is refused).
    const phish = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        captured.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(phished.status, phished.headers).end(phished.body);
      });
    });
    await new Promise<void>((resolve) => phish.listen(0, '127.0.0.1', resolve));
    const phishUrl = `http://127.0.0.1:${(phish.address() as AddressInfo).port}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    const errors: string[] = [];
    context.on('weberror', (err) => errors.push(err.error().message));
    // Every origin the pages send to; the two outside hosts are answered here as the listener answers
    // (nothing leaves the machine).
    const origins = new Set<string>();
    context.on('request', (r) => origins.add(new URL(r.url()).origin));
    for (const host of ['https://evil.example', 'http://acme.example.com'])
      await context.route(`${host}/**`, async (route) => {
        const r = route.request();
        captured.push(`${r.method()} ${r.url()} ${r.postData() ?? ''}`);
        await route.fulfill(phished);
      });
    const page = await context.newPage();
    const address = page.getByLabel('Tenant API address');
    const alert = page.getByRole('alert');
    const signIn = async (): Promise<void> => {
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    };
    const refusal = (origin: string) =>
      `${origin} is not an API this dashboard may use (it allows this site and ${base}), so nothing was sent to it.`;
    try {
      // What a victim does: open the link and sign in. The form names the refused address and stays.
      await page.goto(`${sites.open.url}/?api=${encodeURIComponent(`${phishUrl}/`)}#/`);
      t.is(await address.inputValue(), `${phishUrl}/`);
      await signIn();
      await alert.filter({ hasText: refusal(phishUrl) }).waitFor();
      await shot('crafted-link-refused', page);
      t.is(await page.getByRole('heading', { name: 'Sign in' }).count(), 1);

      // An https origin that is not listed, refused as the page opens (before anyone types a password) and
      // when the form is sent; then plain http to anything but this machine.
      await page.goto(`${sites.open.url}/?api=${encodeURIComponent('https://evil.example')}#/`);
      await alert.filter({ hasText: refusal('https://evil.example') }).waitFor();
      await signIn();
      await alert.filter({ hasText: refusal('https://evil.example') }).waitFor();
      await page.goto(`${sites.open.url}/?api=${encodeURIComponent('http://acme.example.com')}#/`);
      const plainHttp = 'http://acme.example.com is refused: the API address starts with https://';
      await alert.filter({ hasText: plainHttp }).waitFor();
      await signIn();
      await alert.filter({ hasText: plainHttp }).waitFor();

      // A remembered address is checked again on load: refused, and forgotten.
      await page.evaluate((url) => localStorage.setItem('sentiment.lastApi', url), phishUrl);
      await page.goto(`${sites.open.url}/#/`);
      t.is(await address.inputValue(), phishUrl);
      await alert.filter({ hasText: refusal(phishUrl) }).waitFor();
      t.is(await page.evaluate(() => localStorage.getItem('sentiment.lastApi')), null);
      await signIn();
      await alert.filter({ hasText: refusal(phishUrl) }).waitFor();

      // The listed API, typed over the refused address, signs in and is remembered.
      await address.fill(base);
      await signIn();
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      t.is(await page.evaluate(() => sessionStorage.getItem('sentiment.api')), base);
      t.is(await page.evaluate(() => localStorage.getItem('sentiment.lastApi')), base);

      // A stored session whose API is not allowed (any more) is dropped on load, before any request.
      await page.evaluate((url) => sessionStorage.setItem('sentiment.api', url), phishUrl);
      await page.reload();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      t.is(await page.evaluate(() => sessionStorage.getItem('sentiment.token')), null);
      // Signing in to the API once more: any request sent before it has arrived by the time it answers.
      await signIn();
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();

      t.deepEqual(
        [...origins].sort(),
        [base, sites.open.url].sort(),
        'requests went to this site and the API only',
      );
      t.deepEqual(errors, [], 'no uncaught errors in the pages');
    } finally {
      // Also when a step above failed: what was captured is then the finding.
      t.deepEqual(captured, [], 'no unlisted address received anything, the password least of all');
      await context.close();
      await new Promise((resolve) => phish.close(resolve));
    }
  },
);
