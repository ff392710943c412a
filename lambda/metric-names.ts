// Names of the CloudWatch metrics the poller emits (EMF), shared with the CDK alarms and dashboard.

/** Default metric namespace (`POWERTOOLS_METRICS_NAMESPACE`). */
export const METRIC_NAMESPACE = 'SsmStepWatch';

/** Metric names. */
export const METRICS = {
  staleness: 'OldestExecutionStalenessSeconds',
  eventsEmitted: 'EventsEmitted',
  eventsPending: 'EventsPending',
  stepEvents: 'StepStatusEvents',
  failureEvents: 'FailureEvents',
  alarmEvents: 'AlarmEvents',
  executionEvents: 'ExecutionStatusEvents',
  executionsPolled: 'ExecutionsPolled',
  executionsDeferred: 'ExecutionsDeferred',
  ssmCalls: 'SsmDescribeCalls',
  throttles: 'SsmThrottleWaitMs',
  skippedRecords: 'SkippedRecords',
} as const;
