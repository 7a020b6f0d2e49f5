export {
  synthesize,
  synthesizeResolved,
  synthesizePlatform,
  toYaml,
  DEFAULT_NAMESPACE,
  DEFAULT_PROMETHEUS_NAMESPACE,
  type KubeObject,
  type SynthOptions,
  type SynthResult,
} from './synth/index.js';
export { CONFIG_DIGEST_ANNOTATION } from './synth/pod.js';
export { PLATFORMS, type PlatformSizing } from './cost/index.js';
// The kinds the operator's informers list and watch: the chart's RBAC must grant them (charts/test).
export { KEDA_KINDS, MONITORING_KINDS, OWNED_KINDS, type ResourceKind } from './kube/resources.js';
export { ROLLOUT_STATE_NAME } from './rollout/state.js';
// The platforms' own backup roles: what synth says each must be, and what makes IAM match it.
export { tenantBackupRole, type TenantBackupRole, type TenantRolesOptions } from './synth/backup-role.js';
export { BackupRoles } from './tenancy/backup-role.js';
// The chart writes these flags (charts/test reads them back as run does).
export { MODEL_CACHE_FLAGS, modelCacheOptions, modelCacheSettings } from './commands/model-cache-options.js';
