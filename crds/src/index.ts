export * from './labels.js';
export * from './types.js';
export * from './names.js';
export * from './profiles.js';
export * from './resolve.js';
