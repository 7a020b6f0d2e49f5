// Display helpers (src/format.ts) and where the charts use them.
import test from 'ava';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { GroupStat } from '../src/api';
import { GroupBars } from '../src/components/Charts';
import { formatGroupKey } from '../src/format';

test('a breakdown group without a value (key null) is labelled "(none)", not "null"', (t) => {
  t.is(formatGroupKey(null), '(none)');
  t.is(formatGroupKey('High'), 'High');
  // A value that happens to read "null" is still that value.
  t.is(formatGroupKey('null'), 'null');
});

test('the group chart names the tickets without a priority "(none)" in its summary and its table', (t) => {
  const groups: GroupStat[] = [
    { key: 'High', tickets: 3, avgScore: -0.5, negative: 2 },
    { key: null, tickets: 2, avgScore: 0.1, negative: 0 },
  ];
  const html = renderToStaticMarkup(createElement(GroupBars, { title: 'Tickets by priority', groups }));
  t.regex(
    html,
    /aria-label="Tickets by priority\. High: 3 tickets, 2 negative; \(none\): 2 tickets, 0 negative"/,
  );
  t.regex(html, /<td>\(none\)<\/td>/);
  t.notRegex(html, /null/);
});
