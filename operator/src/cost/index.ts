export * from './estimate.js';
export * from './fargate.js';
export * from './platform.js';
export * from './prices.js';
