export * from './fault-spec.js';
export * from './fault-registry.js';
export * from './prefer.js';
export * from './prng.js';
export * from './effects.js';
