// SSM Automation status values, and which of them are terminal or failures.

/** Every status SSM documents for executions and steps (`AutomationExecutionStatus`). */
export const KNOWN_STATUSES = [
  'Pending',
  'InProgress',
  'Waiting',
  'Success',
  'TimedOut',
  'Cancelling',
  'Cancelled',
  'Failed',
  'PendingApproval',
  'Approved',
  'Rejected',
  'Scheduled',
  'RunbookInProgress',
  'PendingChangeCalendarOverride',
  'ChangeCalendarOverrideApproved',
  'ChangeCalendarOverrideRejected',
  'CompletedWithSuccess',
  'CompletedWithFailure',
  'Exited',
] as const;

/** A status SSM documents. Statuses it adds later arrive as plain strings and pass through. */
export type KnownStatus = (typeof KNOWN_STATUSES)[number];

/** Statuses after which an execution or step never changes again. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set<KnownStatus>([
  'Success',
  'TimedOut',
  'Cancelled',
  'Failed',
  'Rejected',
  'ChangeCalendarOverrideRejected',
  'CompletedWithSuccess',
  'CompletedWithFailure',
  'Exited',
]);

/**
 * The non-terminal statuses, exactly the ten values an `ExecutionStatus` filter may carry
 * (SSM allows at most ten values a filter).
 */
export const IN_FLIGHT_STATUSES: readonly KnownStatus[] = KNOWN_STATUSES.filter(
  (s) => !TERMINAL_STATUSES.has(s),
);

/** Statuses a person would call a failure; the default of the notification rule. */
export const FAILURE_STATUSES: readonly KnownStatus[] = [
  'Failed',
  'TimedOut',
  'Cancelled',
  'CompletedWithFailure',
  'Rejected',
];

const FAILURES: ReadonlySet<string> = new Set(FAILURE_STATUSES);

/** Whether a status is one of {@link FAILURE_STATUSES}; an unknown status is not a failure. */
export function isFailureStatus(status: string): boolean {
  return FAILURES.has(status);
}

/**
 * Whether a status is final. An unknown status is treated as not final, so the execution keeps
 * being watched until SSM reports one we know is.
 */
export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.has(status);
}
