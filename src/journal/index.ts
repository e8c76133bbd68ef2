export * from './journal.js';
export * from './verify.js';
