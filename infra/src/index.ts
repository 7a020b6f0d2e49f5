export * from './app.js';
export * from './config/environment.js';
export * from './config/environments.js';
export { tenantBackupRolePrefix } from './stacks/operator-install.js';
