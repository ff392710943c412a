// Errors of the poll core and cycle; one class per failure a caller may want to tell apart.

/** Base class of every error ssm-step-watch raises on purpose. */
export class StepWatchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The configuration (environment, flags) is invalid. */
export class ConfigError extends StepWatchError {}

/** An event cannot be made to fit the entry size limit even with every large field dropped. */
export class EventTooLargeError extends StepWatchError {}

/** A record an AWS service returned lacks what the cycle needs (an id, a status); it is skipped and reported. */
export class MalformedRecordError extends StepWatchError {}

/**
 * A stored event detail cannot be used: not JSON, not an object, or without the ids every detail
 * carries. Readers that skip unreadable data catch it.
 */
export class UnreadableDetailError extends StepWatchError {}

/**
 * SSM does not know the execution asked for (`AutomationExecutionNotFoundException`): its history
 * expired, or it never existed. The cycle stops tracking it and goes on with the others.
 */
export class ExecutionNotFoundError extends StepWatchError {
  constructor(
    readonly executionId: string,
    options?: ErrorOptions,
  ) {
    super(`SSM does not know execution ${executionId}.`, options);
  }
}

/** An AWS service call failed in a way the cycle cannot work around. */
export class ServiceError extends StepWatchError {
  /**
   * Wraps a failed call: the message names the call and the SDK's error name and message, the
   * original stays the `cause`.
   *
   * @example
   * throw ServiceError.of('SSM DescribeAutomationExecutions', error);
   */
  static of(call: string, error: unknown): ServiceError {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return new ServiceError(`${call} failed: ${name}: ${message}`, { cause: error });
  }
}
