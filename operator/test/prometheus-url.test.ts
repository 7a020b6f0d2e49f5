// --prometheus-url as run and the kubectl plugin read it: an http(s) URL, its trailing slash dropped;
// anything else stops the operator at start with the flag named.
import test from 'ava';
import { prometheusUrl } from '../src/commands/prometheus-url.js';

test('an http(s) URL, without a trailing slash; none gives none', (t) => {
  t.deepEqual(prometheusUrl('http://prometheus-operated.monitoring:9090/'), {
    prometheusUrl: 'http://prometheus-operated.monitoring:9090',
  });
  t.deepEqual(prometheusUrl(undefined), {});
  t.deepEqual(prometheusUrl(''), {});
});

test('not a URL, or not http(s): an error naming the flag', (t) => {
  t.throws(() => prometheusUrl('prometheus:9090 '), {
    message: /--prometheus-url: .* is not (a URL|an http\(s\) URL)/,
  });
  t.throws(() => prometheusUrl('ftp://prometheus'), {
    message: /--prometheus-url: "ftp:\/\/prometheus" is not an http\(s\) URL/,
  });
});
