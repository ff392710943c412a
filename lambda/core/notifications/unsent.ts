// Bounds a thread's unsent messages, so that its item stays well under DynamoDB's 400 KB whatever SSM's text and however many messages wait.
import type { UnsentMessage } from './ports';

/**
 * UTF-8 bytes of JSON that a thread's unsent messages may take together: half of DynamoDB's 400 KB
 * item limit, leaving the other half to the thread's state (at most about 60 KB: 1,000 event ids and
 * five listed failures) and the attribute names.
 */
export const MAX_UNSENT_BYTES = 200_000;
/** Unsent messages a thread keeps at most; beyond, the oldest are dropped. */
export const MAX_UNSENT = 50;

/** The unsent messages kept, and those dropped to stay within the bounds. */
export interface CappedUnsent {
  /** Oldest first, as given. */
  readonly kept: readonly UnsentMessage[];
  /** The oldest ones, dropped (the caller logs them). */
  readonly dropped: readonly UnsentMessage[];
}

/** UTF-8 bytes of a value's JSON: close to what DynamoDB counts of it. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/**
 * Drops the oldest unsent messages (the front of the list) until at most {@link MAX_UNSENT} remain
 * and they take at most {@link MAX_UNSENT_BYTES}; the newest is always kept (a message's SSM text is
 * cut when it is built, so one message is a few tens of KB at most).
 *
 * @example
 * const { kept, dropped } = capUnsent([...record.unsent, ...claimed]);
 */
export function capUnsent(
  unsent: readonly UnsentMessage[],
  limits: { readonly maxCount: number; readonly maxBytes: number } = {
    maxCount: MAX_UNSENT,
    maxBytes: MAX_UNSENT_BYTES,
  },
): CappedUnsent {
  const sizes = unsent.map(jsonBytes);
  let total = sizes.reduce((sum, size) => sum + size, 0);
  let first = 0;
  while (first < unsent.length - 1 && (unsent.length - first > limits.maxCount || total > limits.maxBytes)) {
    total -= sizes[first] ?? 0;
    first += 1;
  }
  return { kept: unsent.slice(first), dropped: unsent.slice(0, first) };
}
