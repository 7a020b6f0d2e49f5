import { avaConfig } from '../test/ava-config.js';

export default avaConfig({ files: ['smoke/**/*.test.ts'], timeout: '3m' });
