import { fileURLToPath } from 'node:url';

/** The committed CRD, shared by the generator and the staleness test. */
export const CRD_FILE = fileURLToPath(new URL('../generated/sentimentplatforms.yaml', import.meta.url));
