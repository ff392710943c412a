// Errors the benchmark throws.

/**
 * A benchmark run that cannot complete: an unknown fleet, or a worker process that failed.
 *
 * @example
 * ```ts
 * throw new BenchError('bench worker a/window exited with 1');
 * ```
 */
export class BenchError extends Error {
  /**
   * @param message - one sentence saying what went wrong
   * @param options - `{ cause }` when wrapping a lower-level failure
   */
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BenchError';
  }
}
