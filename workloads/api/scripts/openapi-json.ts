// openapi.json: the checked-in copy of the document the API serves (src/openapi.ts), from which the
// dashboard generates its types (workloads/web/scripts/api-types.ts). `npm run generate` runs this file
// to write it; test/generated-files.test.ts fails while the copy differs from what this produces now.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { openApiDocument } from '../src/openapi.js';

export const OPENAPI_JSON = fileURLToPath(new URL('../openapi.json', import.meta.url));
export const REGENERATE = 'npm run generate -w workloads/api -w workloads/web';

/** The file's text as generation writes it (formatted as the repository's prettier would). */
export async function openApiJson(): Promise<string> {
  const config = await resolveConfig(OPENAPI_JSON);
  return format(JSON.stringify(openApiDocument()), { ...config, filepath: OPENAPI_JSON });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OPENAPI_JSON, await openApiJson());
  console.log(`wrote ${OPENAPI_JSON}`);
}
