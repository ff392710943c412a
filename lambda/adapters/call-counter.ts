// Counts AWS API calls by operation, for the cycle summary and the benchmarks.

/** Calls made so far, by operation name (e.g. `DescribeAutomationExecutions`). */
export class CallCounter {
  readonly #counts = new Map<string, number>();

  /** Counts one call of `operation`. */
  count(operation: string): void {
    this.#counts.set(operation, (this.#counts.get(operation) ?? 0) + 1);
  }

  /** The counts as a plain object, operations sorted by name. */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Calls of one operation. */
  get(operation: string): number {
    return this.#counts.get(operation) ?? 0;
  }
}
