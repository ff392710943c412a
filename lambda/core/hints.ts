// SSM's own aws.ssm Automation events as hints: which execution of which shard to read now.
import { shardKey } from './shard-key';

/** `source` of the events SSM sends to the default bus. */
export const NATIVE_SOURCE = 'aws.ssm';

/** The detail types of SSM's own Automation events. */
export const NATIVE_DETAIL_TYPES = {
  step: 'EC2 Automation Step Status-change Notification',
  execution: 'EC2 Automation Execution Status-change Notification',
} as const;

/**
 * What one native event says that the poller uses: some execution of one (account, region) changed.
 * Everything else in the event (status, step name, locale-formatted times) is ignored: the targeted
 * read gets the full, current picture from SSM.
 */
export interface Hint {
  readonly account: string;
  readonly region: string;
  readonly executionId: string;
}

const DETAIL_TYPES: ReadonlySet<string> = new Set(Object.values(NATIVE_DETAIL_TYPES));
const ACCOUNT_ID = /^\d{12}$/;
/** AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** SSM's AutomationExecutionId is 36 characters. */
const EXECUTION_ID = /^[0-9a-zA-Z-]{36}$/;

/**
 * Reads one SQS message body holding an EventBridge event (a rule target delivers the whole event
 * as JSON). Returns null for anything but a native SSM Automation event naming a valid execution:
 * not JSON, another source or detail type, a missing or invalid account, region or `ExecutionId`.
 *
 * @example
 * const hint = parseHint(record.body);
 * if (hint) console.log(hint.executionId);
 */
export function parseHint(body: string): Hint | null {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isObject(event) || event.source !== NATIVE_SOURCE) return null;
  const detailType = event['detail-type'];
  if (typeof detailType !== 'string' || !DETAIL_TYPES.has(detailType)) return null;
  const { account, region, detail } = event;
  if (typeof account !== 'string' || !ACCOUNT_ID.test(account)) return null;
  if (typeof region !== 'string' || !REGION.test(region)) return null;
  if (!isObject(detail)) return null;
  const executionId = detail.ExecutionId;
  if (typeof executionId !== 'string' || !EXECUTION_ID.test(executionId)) return null;
  return { account, region, executionId };
}

/** Shard key of a hint's (account, region), as the poller keys its state: `account#region`. */
export function hintShardKey(hint: Pick<Hint, 'account' | 'region'>): string {
  return shardKey(hint);
}

/**
 * Groups hints by shard (`account#region`) and drops repeats, so a burst of events about one
 * execution costs one read. Ids keep the order they were first hinted in.
 *
 * @example
 * coalesceHints([a, a, b]); // Map { '123456789012#us-east-1' => [a.executionId, b.executionId] }
 */
export function coalesceHints(hints: readonly Hint[]): Map<string, string[]> {
  const byShard = new Map<string, Set<string>>();
  for (const hint of hints) {
    const key = hintShardKey(hint);
    const ids = byShard.get(key) ?? new Set<string>();
    ids.add(hint.executionId);
    byShard.set(key, ids);
  }
  return new Map([...byShard].map(([key, ids]) => [key, [...ids]]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
