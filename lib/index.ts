// The package's entry point and jsii's: the StepWatch construct, its stack, the hint forwarder and their props (errors: lib/errors.ts).
export {
  StepWatchHintForwarder,
  type StepWatchHintForwarderProps,
  StepWatchHintForwarderStack,
  type StepWatchHintForwarderStackProps,
} from './hint-forwarder';
export { type StepWatchNotificationRules, StepWatchNotifications } from './notifications';
export { StepWatchOrganizationStackSets } from './organization';
export {
  StepWatchCallAs,
  StepWatchLogLevel,
  type StepWatchNotificationProps,
  type StepWatchOrganization,
  type StepWatchProps,
  type StepWatchShard,
  type StepWatchSlackProps,
} from './props';
export {
  SCHEMA_FILES,
  StepWatch,
  type StepWatchAlarms,
  type StepWatchFanOut,
  type StepWatchHints,
} from './step-watch';
export { StepWatchStack, type StepWatchStackProps } from './step-watch-stack';
