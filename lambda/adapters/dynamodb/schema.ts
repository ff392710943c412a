// The one definition of the table's key scheme, TTL and indexes: plain data (no SDK), for the CDK stack, createTable and the adapters.

/** A string key attribute of the table or of an index. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S';
}

/** A global secondary index; every index projects all attributes and is sparse. */
export interface IndexSchema {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
}

/** Table partition key. */
export const PARTITION_KEY: KeyAttribute = { name: 'pk', type: 'S' };
/** Table sort key. */
export const SORT_KEY: KeyAttribute = { name: 'sk', type: 'S' };
/** TTL attribute (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * The key values of each item kind: `pk` names the execution (or the poller's shard), `sk` the item
 * in it. See docs/internals.md.
 *
 * @example
 * ```ts
 * const key = { pk: KEYS.execution(executionId), sk: KEYS.stepState(stepExecutionId) };
 * ```
 */
export const KEYS = {
  /** `pk` of everything about one execution. */
  execution: (executionId: string) => `EXEC#${executionId}`,
  /** `sk` of the execution snapshot. */
  executionState: 'STATE#EXEC',
  /** `sk` of a step snapshot. */
  stepState: (stepExecutionId: string) => `STATE#STEP#${stepExecutionId}`,
  /**
   * `sk` of the mark that tracks an execution a parent named before it was ever recorded; outside
   * the state prefix, and without `parentExecutionId` (the byParent key), so only the inFlight index
   * and `listTracked` see it.
   */
  namedMark: 'NAMED#EXEC',
  /** `sk` prefix of an execution's snapshots (execution and steps): its state is one Query. */
  statePrefix: 'STATE#',
  /** `sk` of a recorded transition (outbox and audit trail). */
  transition: (eventId: string) => `EVT#${eventId}`,
  /** `sk` prefix of an execution's transitions: its history is one Query. */
  transitionPrefix: 'EVT#',
  /** `pk` of a shard's poller state. */
  poller: (shard: string) => `POLLER#${shard}`,
  /** `sk` of the poller state. */
  pollerState: 'STATE#POLLER',
  /** `sk` of the shard's hint inbox: execution ids handed to the cycle holding the lease. */
  hintInbox: 'HINTS#POLLER',
  /** `pk` of the Organization's cached account list (the dispatcher's, read by the hint reader too). */
  organization: 'ORGANIZATION',
  /** `sk` of the cached account list of one listing (the whole Organization, or a set of OUs). */
  accountList: (listing: string) => `ACCOUNTS#${listing}`,
  /** `listShard` of every execution snapshot: the one partition of the byStart index. */
  listShard: 'EXEC',
} as const;

/** Index names, for queries. */
export const INDEX = {
  inFlight: 'inFlight',
  outbox: 'outbox',
  byParent: 'byParent',
  byStart: 'byStart',
} as const;

/** The table's global secondary indexes; see docs/internals.md. */
export const INDEXES: readonly IndexSchema[] = [
  {
    indexName: INDEX.inFlight,
    partitionKey: { name: 'trackShard', type: 'S' },
    sortKey: { name: 'trackedAt', type: 'S' },
  },
  {
    indexName: INDEX.outbox,
    partitionKey: { name: 'pendingShard', type: 'S' },
    sortKey: { name: 'recordedAt', type: 'S' },
  },
  {
    indexName: INDEX.byParent,
    partitionKey: { name: 'parentExecutionId', type: 'S' },
    sortKey: { name: 'startTime', type: 'S' },
  },
  {
    indexName: INDEX.byStart,
    partitionKey: { name: 'listShard', type: 'S' },
    sortKey: { name: 'startTime', type: 'S' },
  },
];

/**
 * Every key attribute of the table and of its indexes, each once, table keys first, then each
 * index's in {@link INDEXES} order: the attribute definitions of the table.
 */
export function keyAttributes(): KeyAttribute[] {
  const byName = new Map<string, KeyAttribute>();
  for (const key of [PARTITION_KEY, SORT_KEY, ...INDEXES.flatMap((i) => [i.partitionKey, i.sortKey])]) {
    if (!byName.has(key.name)) byName.set(key.name, key);
  }
  return [...byName.values()];
}
