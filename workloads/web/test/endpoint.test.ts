// The rules that decide where the dashboard may send a password (src/endpoint.ts), case by case; the
// browser test shows them at work in the app.
import test from 'ava';
import { checkApiUrl, parseApiPolicy } from '../src/endpoint';

const HERE = 'https://d123.cloudfront.net';
const { policy, problems } = parseApiPolicy({
  apiOrigins: [
    'https://*.tenants.example.com',
    'https://api.acme.example',
    'http://localhost:8080',
    // Each of these is refused, so none of them allows anything.
    'http://plain.example.com',
    'https://*.com',
    '*',
    'https://*.Upper.example.com',
    'https://*.ports.example.com:8443',
    'https://api.path.example/v1',
    'https://slash.example/',
    42,
  ],
});

const allows = (address: string): boolean => {
  try {
    checkApiUrl(address, policy, HERE);
    return true;
  } catch {
    return false;
  }
};

test('config.json: malformed entries are left out, each named', (t) => {
  t.deepEqual(policy.origins, [
    'https://*.tenants.example.com',
    'https://api.acme.example',
    'http://localhost:8080',
  ]);
  t.is(problems.length, 8);
  t.regex(problems[0]!, /"http:\/\/plain\.example\.com" is neither/);
  t.deepEqual(parseApiPolicy({ apiOrigins: 'https://api.acme.example' }).problems, [
    'apiOrigins is not a list of origins',
  ]);
});

test('a wildcard is a host suffix on a dot boundary, https and the default port only', (t) => {
  t.true(allows('https://acme.tenants.example.com'));
  t.true(allows('https://a.b.tenants.example.com/prefix'));
  t.true(allows('https://ACME.tenants.example.com'), 'host names compare in lower case');
  t.false(allows('https://tenants.example.com'), 'the domain itself is not under it');
  t.false(allows('https://eviltenants.example.com'), 'no match inside a label');
  t.false(allows('https://acme.tenants.example.com.evil.example'));
  t.false(allows('https://acme.tenants.example.com@evil.example'), 'user info is not the host');
  t.false(allows('https://acme.tenants.example.com:8443'));
  t.false(allows('http://acme.tenants.example.com'));
});

test('exact origins match scheme, host and port', (t) => {
  t.true(allows('https://api.acme.example/'));
  t.false(allows('https://api.acme.example:444'));
  t.false(allows('https://other.acme.example'));
  t.true(allows('http://localhost:8080'));
  t.false(allows('http://localhost:8081'), 'loopback is not listed as a whole');
});

test('plain http only on loopback, even when listed; this site and the pinned API always', (t) => {
  t.throws(() => checkApiUrl('http://plain.example.com', policy, HERE), {
    message:
      'http://plain.example.com is refused: the API address starts with https:// (plain http only on this machine)',
  });
  t.throws(() => checkApiUrl('https://evil.example/', policy, HERE), {
    message:
      'https://evil.example is not an API this dashboard may use (it allows this site and ' +
      'https://*.tenants.example.com, https://api.acme.example, http://localhost:8080), so nothing was sent to it. ' +
      'Check the address with your administrator.',
  });
  t.throws(() => checkApiUrl('ftp://files.example', policy, HERE), { message: /starts with https:\/\// });
  t.is(checkApiUrl('', policy, HERE), '');
  t.is(checkApiUrl(`${HERE}/api/`, policy, HERE), `${HERE}/api`);
  const pinned = parseApiPolicy({ apiUrl: 'https://pinned.example/' }).policy;
  t.is(pinned.pinned, 'https://pinned.example');
  t.is(checkApiUrl('https://pinned.example', pinned, HERE), 'https://pinned.example');
  t.throws(() => checkApiUrl('https://api.acme.example', pinned, HERE), { message: /this site only/ });
  const plainPin = parseApiPolicy({ apiUrl: 'http://api.example.com' });
  t.is(plainPin.policy.pinned, null, 'a plain http pin off this machine is refused');
  t.regex(plainPin.problems[0]!, /^apiUrl: http:\/\/api\.example\.com is refused/);
});
