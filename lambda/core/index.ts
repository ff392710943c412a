// The pure poll core: diff, events, strategy and the ports adapters implement.
export * from './diff';
export * from './errors';
export * from './events';
export * from './ports';
export * from './status';
export * from './strategy';
export * from './types';
