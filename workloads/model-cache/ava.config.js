import { avaConfig } from '../../test/ava-config.js';

export default avaConfig({ timeout: '2m' });
