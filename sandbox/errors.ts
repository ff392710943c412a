// Errors the sandbox throws: one base class, one subclass per failure a caller may want to catch.

/**
 * Base class of every error the sandbox throws (simulator, recorder, DynamoDB launcher).
 *
 * @example
 * ```ts
 * try { await startDynamo({ path }); } catch (e) { if (e instanceof SandboxError) console.error(e.message); }
 * ```
 */
export class SandboxError extends Error {
  /**
   * @param message - one sentence saying what went wrong
   * @param options - `{ cause }` when wrapping a lower-level failure
   */
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SandboxError';
  }
}

/**
 * A scenario file that cannot be read, is not JSON, or breaks a rule of the scenario format.
 * The message starts with the path of the offending field, e.g.
 * `executions[0].steps[2].timeline[1].status: must be a non-empty string`.
 */
export class ScenarioError extends SandboxError {
  /**
   * @param message - the field path, a colon, and what is wrong with it
   * @param options - `{ cause }` when wrapping a read or JSON parse failure
   */
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ScenarioError';
  }
}
