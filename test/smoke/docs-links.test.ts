// The repository explains itself: every relative link in its documentation opens a file of this checkout.
// A user's clone has nothing beside the repository, so a link that climbs above its root, names a file
// that is not there, or a heading that is not there, is broken for them. No environment needed.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../src/index.js';

/** README.md, docs/*.md and the README of every folder at the top and under workloads/. */
function docFiles(): string[] {
  const readme = (dir: string) => join(dir, 'README.md');
  const dirs = (dir: string) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.'))
      .map((e) => join(dir, e.name));
  const docs = join(REPO_ROOT, 'docs');
  return [
    readme(REPO_ROOT),
    ...readdirSync(docs)
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(docs, f)),
    ...[...dirs(REPO_ROOT), ...dirs(join(REPO_ROOT, 'workloads'))].map(readme),
  ].filter((f) => existsSync(f));
}

/** The text outside fenced code blocks, with inline code spans blanked: links there are not links. */
function prose(text: string): string {
  let fence: string | undefined;
  const lines = text.split('\n').map((line) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return '';
    }
    return line;
  });
  return lines.join('\n').replace(/(`+)[\s\S]*?\1/g, (span) => ' '.repeat(span.length));
}

/** Link targets: inline links and images, reference definitions, HTML href/src. */
function linkTargets(text: string): string[] {
  const body = prose(text);
  const patterns = [
    /\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g,
    /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm,
    /\b(?:href|src)\s*=\s*["']([^"']*)["']/g,
  ];
  return patterns.flatMap((p) => [...body.matchAll(p)].map((m) => m[1]!));
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as '-', repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(markdown.replace(/`([^`]*)`/g, '$1')).split('\n')) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** What is wrong with each relative link of `file` (whose text is `text`); empty when all resolve. */
function brokenLinks(file: string, text: string): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(text)) {
    // A scheme (https:, mailto:) is not a file of the repository.
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [rawPath = '', fragment] = target.split('#', 2);
    const path = decodeURIComponent(rawPath);
    // GitHub resolves '/x' from the repository's root; anything else from the document's folder.
    const absolute =
      path === '' ? file : path.startsWith('/') ? join(REPO_ROOT, path) : resolve(dirname(file), path);
    const inRepo = relative(REPO_ROOT, absolute);
    const where = `${relative(REPO_ROOT, file)}: (${target})`;
    if (inRepo.startsWith('..') || isAbsolute(inRepo)) {
      problems.push(`${where} points outside the repository`);
    } else if (path !== '' && !existsSync(absolute)) {
      problems.push(`${where}: ${inRepo} does not exist`);
    } else if (fragment && absolute.endsWith('.md') && (path === '' || statSync(absolute).isFile())) {
      const heading = decodeURIComponent(fragment).toLowerCase();
      // A fragment alone points into this document, whose text may not be on disk yet.
      if (!anchors(path === '' ? text : readFileSync(absolute, 'utf8')).has(heading)) {
        problems.push(`${where}: ${inRepo} has no heading #${heading}`);
      }
    }
  }
  return problems;
}

const FILES = docFiles();

test('the documents are found: README.md, docs/, the workspaces', (t) => {
  const names = FILES.map((f) => relative(REPO_ROOT, f));
  for (const expected of ['README.md', 'docs/operator.md', 'workloads/api/README.md', 'infra/README.md']) {
    t.true(names.includes(expected), `${expected} not among ${names.join(', ')}`);
  }
});

test('every relative link resolves to a file inside the repository', (t) => {
  const links = FILES.flatMap((f) => linkTargets(readFileSync(f, 'utf8')));
  // The README alone links a dozen documents: far fewer means the extraction stopped seeing them.
  t.true(links.length >= 10, `only ${links.length} links found`);
  t.deepEqual(
    FILES.flatMap((f) => brokenLinks(f, readFileSync(f, 'utf8'))),
    [],
  );
});

test('every document in docs/ is linked from the README', (t) => {
  const readme = join(REPO_ROOT, 'README.md');
  const linked = new Set(
    linkTargets(readFileSync(readme, 'utf8')).map((l) => resolve(REPO_ROOT, l.split('#')[0]!)),
  );
  const unlinked = FILES.filter((f) => dirname(f) === join(REPO_ROOT, 'docs') && !linked.has(f));
  t.deepEqual(
    unlinked.map((f) => relative(REPO_ROOT, f)),
    [],
  );
});

test('the check itself: a missing file, a path above the root (inline, reference, HTML), a missing heading; code is not a link', (t) => {
  const doc = join(REPO_ROOT, 'docs', 'example.md');
  const text = [
    '# Title',
    'See [ok](operator.md), [ok too](../README.md#the-operator), [here](#title), [web](https://example.com).',
    'Broken: [gone](missing.md), [outside](../../shared/DESIGN.md), [no heading](operator.md#nowhere).',
    '[design]: ../../shared/DESIGN.md',
    '<a href="../../shared/data">data</a>',
    '`[code](nowhere.md)`',
    '```',
    '[fenced](nowhere.md)',
    '```',
  ].join('\n');
  t.deepEqual(brokenLinks(doc, text), [
    'docs/example.md: (missing.md): docs/missing.md does not exist',
    'docs/example.md: (../../shared/DESIGN.md) points outside the repository',
    'docs/example.md: (operator.md#nowhere): docs/operator.md has no heading #nowhere',
    'docs/example.md: (../../shared/DESIGN.md) points outside the repository',
    'docs/example.md: (../../shared/data) points outside the repository',
  ]);
});
