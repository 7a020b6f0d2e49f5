import { avaConfig } from '../test/ava-config.js';

// One file at a time: the Argo CD test and the platform test each install a whole-cluster operator, and two
// of those would reconcile each other's tenants.
export default avaConfig({ timeout: '10m', concurrency: 1 });
