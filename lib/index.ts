// The package's entry point: the StepWatch construct, its stack, the hint forwarder, their props and errors.
export { StepWatchError } from '../lambda/core/errors';
export { StepWatchConfigError, StepWatchPackageError } from './errors';
export {
  StepWatchHintForwarder,
  type StepWatchHintForwarderProps,
  StepWatchHintForwarderStack,
  type StepWatchHintForwarderStackProps,
} from './hint-forwarder';
export type {
  StepWatchLogLevel,
  StepWatchNotificationProps,
  StepWatchOrganization,
  StepWatchProps,
  StepWatchShard,
  StepWatchSlackProps,
} from './props';
export {
  SCHEMA_FILES,
  StepWatch,
  type StepWatchAlarms,
  type StepWatchFanOut,
  type StepWatchHints,
} from './step-watch';
export { StepWatchStack, type StepWatchStackProps } from './step-watch-stack';
