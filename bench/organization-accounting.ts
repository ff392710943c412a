// What the organization benchmark reports: staleness across shards, percentiles, and a shard's monthly cost at list prices.

/**
 * us-east-1 list prices in USD (docs/scaling.md cites the pricing pages). Lambda on Arm, as the
 * construct deploys both functions (`Architecture.ARM_64`).
 */
export const LIST_PRICES = {
  /** Lambda duration, Arm, per GB-second (first 7.5 billion GB-s a month). */
  lambdaGbSecond: 0.0000133334,
  /** Lambda requests, per request ($0.20 per million). */
  lambdaRequest: 0.2 / 1e6,
  /** DynamoDB on-demand, per read request unit ($0.125 per million). */
  readRequestUnit: 0.125 / 1e6,
  /** DynamoDB on-demand, per write request unit ($0.625 per million). */
  writeRequestUnit: 0.625 / 1e6,
  /** SQS Standard, per request of up to 64 KB ($0.40 per million). */
  sqsRequest: 0.4 / 1e6,
  /** EventBridge Scheduler, per invocation ($1.00 per million). */
  schedulerInvocation: 1 / 1e6,
  /** EventBridge PutEvents, per event of up to 64 KB ($1.00 per million custom events). */
  putEvent: 1 / 1e6,
  /** CloudWatch Logs standard ingestion, per GB ($0.50). */
  logIngestionGb: 0.5,
} as const;

/** Prices as {@link LIST_PRICES} gives them. */
export type Prices = { readonly [K in keyof typeof LIST_PRICES]: number };

/** Seconds in the month the costs are for (30 days). */
export const MONTH_SECONDS = 30 * 86_400;

/**
 * The value at or below which `p` percent of `values` lie (nearest rank); 0 for no values.
 *
 * @example
 * percentile([5, 1, 3, 2, 4], 50); // 3
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] ?? 0;
}

/**
 * Each shard's staleness at `now` (epoch ms), in seconds: `now` minus the start of its last complete
 * cycle (`lastCompleteAt`, ISO 8601). A shard with no complete cycle yet counts from `since`, the
 * start of the run, so a shard never served weighs as the oldest it can be.
 */
export function stalenessAt(
  lastCompleteByShard: ReadonlyMap<string, string | null>,
  now: number,
  since: number,
): number[] {
  return [...lastCompleteByShard.values()].map((at) => {
    const from = at === null ? since : Date.parse(at);
    return Math.max(0, (now - (Number.isNaN(from) ? since : from)) / 1000);
  });
}

/** What one shard costs each period (one cycle), the dispatcher's and the schedule's share included. */
export interface ShardCycleUsage {
  /** Billed seconds of the poll function per shard cycle. */
  readonly pollSeconds: number;
  /** Poll function invocations per shard cycle. */
  readonly pollInvocations: number;
  readonly pollMemoryMb: number;
  /** Billed seconds of one dispatcher run (shared by every shard). */
  readonly dispatcherSeconds: number;
  readonly dispatcherMemoryMb: number;
  /** Shards one dispatcher run serves. */
  readonly shards: number;
  /** DynamoDB request units per shard cycle, the dispatcher's share included. */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** SQS requests per shard cycle: the dispatcher's share of a batch send, the receive and the delete. */
  readonly sqsRequests: number;
  /** Events sent to the bus per shard cycle. */
  readonly putEvents: number;
  /** Log bytes (lines and EMF metrics) per shard cycle, the dispatcher's share included. */
  readonly logBytes: number;
}

/** Monthly cost of one shard in USD, by service. */
export interface ShardMonthlyCost {
  readonly lambda: number;
  readonly dynamodb: number;
  readonly sqs: number;
  readonly scheduler: number;
  readonly putEvents: number;
  readonly logs: number;
  readonly total: number;
}

/**
 * One shard's monthly cost at `periodSeconds` between cycles: per-cycle usage times the cycles of a
 * 30-day month, at `prices`; the dispatcher's runs and the schedule's invocations are shared by
 * `usage.shards`. Rounded to a hundredth of a cent.
 *
 * @example
 * shardMonthlyCost(usage, 60).total; // USD a shard a month at the one-minute schedule
 */
export function shardMonthlyCost(
  usage: ShardCycleUsage,
  periodSeconds: number,
  prices: Prices = LIST_PRICES,
): ShardMonthlyCost {
  const cycles = MONTH_SECONDS / periodSeconds;
  const shards = Math.max(1, usage.shards);
  const gbSeconds =
    usage.pollSeconds * (usage.pollMemoryMb / 1024) +
    (usage.dispatcherSeconds * (usage.dispatcherMemoryMb / 1024)) / shards;
  const requests = usage.pollInvocations + 1 / shards;
  const lambda = cycles * (gbSeconds * prices.lambdaGbSecond + requests * prices.lambdaRequest);
  const dynamodb =
    cycles * (usage.readUnits * prices.readRequestUnit + usage.writeUnits * prices.writeRequestUnit);
  const sqs = cycles * usage.sqsRequests * prices.sqsRequest;
  const scheduler = (cycles * prices.schedulerInvocation) / shards;
  const putEvents = cycles * usage.putEvents * prices.putEvent;
  const logs = (cycles * usage.logBytes * prices.logIngestionGb) / 1024 ** 3;
  const cents = (usd: number): number => Math.round(usd * 10_000) / 10_000;
  return {
    lambda: cents(lambda),
    dynamodb: cents(dynamodb),
    sqs: cents(sqs),
    scheduler: cents(scheduler),
    putEvents: cents(putEvents),
    logs: cents(logs),
    total: cents(lambda + dynamodb + sqs + scheduler + putEvents + logs),
  };
}
