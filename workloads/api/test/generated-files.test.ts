// openapi.json is generated from the route schemas and checked in (the dashboard's types come from it):
// it must be what generation writes now.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { OPENAPI_JSON, openApiJson, REGENERATE } from '../scripts/openapi-json.js';

test('openapi.json is current', async (t) => {
  let committed = '';
  try {
    committed = readFileSync(OPENAPI_JSON, 'utf8');
  } catch {
    // missing: as stale as an outdated copy
  }
  t.true(committed === (await openApiJson()), `openapi.json is stale: run \`${REGENERATE}\``);
});
