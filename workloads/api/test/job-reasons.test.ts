// What a failed or waiting job tells its viewers (GET /v1/jobs): our own words and the CSV parser's as
// they are; a driver's text (SQL, addresses, index names) never, only an id the worker's log carries.
import test from 'ava';
import { parse } from 'csv-parse/sync';
import { publicReason } from '../src/app/worker.js';
import { MlUnavailableError } from '../src/ml-client.js';
import { PermanentJobError } from '../src/queue/queue.js';
import { createTestDatabase } from './helpers.js';

test("a database's error becomes a stable line with an id; ours and the parser's stay as they are", async (t) => {
  const tdb = await createTestDatabase('job_reasons');
  t.teardown(() => tdb.drop());
  const pgError = await t.throwsAsync(tdb.db.query('SELECT secret_column FROM tenant_internal_table'));
  const hidden = publicReason(pgError);
  t.regex(
    hidden.reason,
    /^an internal error stopped the job \(error [0-9a-f-]{36}; the worker's log has the details\)$/,
  );
  t.false(hidden.reason.includes('tenant_internal_table'));
  t.is(hidden.reason.includes(hidden.errorId!), true, 'the id in the reason is the one logged');

  const refused = await t.throwsAsync(fetch('http://127.0.0.1:1/'));
  t.regex(publicReason(refused).reason, /^an internal error stopped the job/);

  const csv = t.throws(() => parse('a,"b\nc,d', { relax_quotes: false }));
  t.deepEqual(
    publicReason(csv),
    { reason: csv!.message },
    'the parser names the line: the user can act on it',
  );
  const ours = new PermanentJobError('the upload of job x is no longer stored');
  t.deepEqual(publicReason(ours), { reason: ours.message });
  const ml = new MlUnavailableError(
    'the ML service is unavailable: /v1/score failed 3 times',
    new Error('x'),
  );
  t.deepEqual(publicReason(ml), { reason: ml.message });
});
