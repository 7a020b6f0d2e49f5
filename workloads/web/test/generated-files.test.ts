// src/api-types.gen.ts is generated from the API's checked-in openapi.json: it must be what generation
// writes now.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { API_TYPES, apiTypes, REGENERATE } from '../scripts/api-types';

test('src/api-types.gen.ts is current', async (t) => {
  let committed = '';
  try {
    committed = readFileSync(API_TYPES, 'utf8');
  } catch {
    // missing: as stale as an outdated copy
  }
  t.true(committed === (await apiTypes()), `src/api-types.gen.ts is stale: run \`${REGENERATE}\``);
});
