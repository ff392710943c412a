// The fan-out's work items: one queued poll cycle per shard, what makes one stale or foreign, and the shards' staleness.
import { accountInScope, type OrganizationScope, type ShardTarget } from './organization';

/** The body of one work-queue message: a shard to poll, and when the dispatcher queued it. */
export interface WorkItem {
  readonly shard: ShardTarget;
  /** Epoch ms the dispatcher sent it. */
  readonly dispatchedAt: number;
}

/** A shard's staleness: seconds since the start of its last complete cycle. */
export interface ShardStaleness {
  /** `account#region`. */
  readonly shard: string;
  readonly stalenessSeconds: number;
}

/** What the dispatcher reports about the shards' staleness each run. */
export interface StalenessReport {
  /** The stalest shard's staleness; 0 without shards. */
  readonly maxSeconds: number;
  /** Shards older than two periods (never completed counts as stale). */
  readonly staleShards: number;
  /** The stalest shards, stalest first, at most `worstCount`. */
  readonly worst: readonly ShardStaleness[];
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ROLE_ARN = /^arn:([\w-]+):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** The message body of a work item, as the poll function reads it back. */
export function workItemBody(item: WorkItem): string {
  return JSON.stringify(item);
}

/**
 * Reads a work-queue message body; null for anything that is not a work item (not JSON, a bad
 * account or region, a roleArn that is not a string, no numeric `dispatchedAt`).
 *
 * @example
 * const item = parseWorkItem('{"shard":{"account":"111111111111","region":"eu-west-1"},"dispatchedAt":0}');
 */
export function parseWorkItem(body: string): WorkItem | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isObject(parsed) || !isObject(parsed.shard) || typeof parsed.dispatchedAt !== 'number') return null;
  const { account, region, roleArn } = parsed.shard;
  if (typeof account !== 'string' || !ACCOUNT_ID.test(account)) return null;
  if (typeof region !== 'string' || !REGION.test(region)) return null;
  if (roleArn !== undefined && typeof roleArn !== 'string') return null;
  return {
    shard: { account, region, ...(roleArn !== undefined && { roleArn }) },
    dispatchedAt: parsed.dispatchedAt,
  };
}

/** Whether a work item is older than two periods: a fresher one is queued already, so it is dropped. */
export function isStaleWorkItem(item: WorkItem, now: number, periodSeconds: number): boolean {
  return now - item.dispatchedAt > 2 * periodSeconds * 1000;
}

/**
 * Why a work item's role may not be assumed, or null when it may. A role must be in the shard's own
 * account, and, with a member role name configured, be that role
 * (`arn:<partition>:iam::<the shard's account>:role/<name>`); a shard of an account other than the
 * poller's own (`homeAccount`) must name one. So a forged item can neither make the poller assume
 * another role nor have one account read as another's.
 */
export function roleProblem(
  shard: ShardTarget,
  memberRoleName: string | undefined,
  homeAccount?: string,
): string | null {
  if (shard.roleArn === undefined) {
    return homeAccount === undefined || shard.account === homeAccount
      ? null
      : `no roleArn for account ${shard.account}, which is not this account (${homeAccount})`;
  }
  const match = ROLE_ARN.exec(shard.roleArn);
  if (match === null) return 'roleArn is not an IAM role ARN';
  if (match[2] !== shard.account)
    return `roleArn is in account ${match[2]}, not the shard's ${shard.account}`;
  if (memberRoleName !== undefined && match[3] !== memberRoleName)
    return `roleArn names role ${match[3]}, not ${memberRoleName}`;
  return null;
}

/**
 * The shards a work item may name: the static list (each account and region filled in), or the
 * organization's scope (its regions, and its accounts by `accounts` and `excludeAccounts`; its OUs
 * are applied when the dispatcher lists the accounts, and the member role's trust does the rest).
 */
export type ConfiguredShards =
  | { readonly shards: readonly ShardTarget[] }
  | { readonly organization: OrganizationScope };

/**
 * Why a work item's shard is not one this deployment polls, or null when it is. Of a static list, the
 * item must name a listed account and region, with the role listed for it (or none when none is); of
 * an organization, one of its regions and an account its lists allow. The queue accepts messages from
 * whoever may send to it, so this is what keeps a forged item from being processed at all.
 *
 * @example
 * unconfiguredShardProblem({ account: '111111111111', region: 'eu-west-1' }, { shards: [] });
 * // 'account 111111111111 in eu-west-1 is not a configured shard'
 */
export function unconfiguredShardProblem(shard: ShardTarget, configured: ConfiguredShards): string | null {
  if ('organization' in configured) {
    const scope = configured.organization;
    if (!scope.regions.includes(shard.region))
      return `region ${shard.region} is not one of the organization's regions`;
    if (!accountInScope(shard.account, scope))
      return `account ${shard.account} is not in the organization's scope`;
    return null;
  }
  const listed = configured.shards.find(
    (candidate) => candidate.account === shard.account && candidate.region === shard.region,
  );
  if (listed === undefined) return `account ${shard.account} in ${shard.region} is not a configured shard`;
  if (listed.roleArn !== shard.roleArn)
    return `roleArn ${shard.roleArn ?? '(none)'} is not the one configured for the shard`;
  return null;
}

/**
 * The shards' staleness at `now` from the start of each one's last complete cycle (ISO, or null
 * before its first). A shard that never completed a cycle counts as stale, is listed first among the
 * worst with `stalenessSeconds: -1`, and is left out of `maxSeconds` (it has no age to report).
 */
export function stalenessReport(
  lastCompleteByShard: ReadonlyMap<string, string | null>,
  now: number,
  periodSeconds: number,
  worstCount = 10,
): StalenessReport {
  const all: ShardStaleness[] = [];
  let stale = 0;
  for (const [shard, lastCompleteAt] of lastCompleteByShard) {
    const at = lastCompleteAt === null ? Number.NaN : Date.parse(lastCompleteAt);
    const seconds = Number.isNaN(at) ? null : Math.max(0, Math.round((now - at) / 1000));
    if (seconds === null || seconds > 2 * periodSeconds) stale += 1;
    all.push({ shard, stalenessSeconds: seconds ?? Number.POSITIVE_INFINITY });
  }
  all.sort((a, b) => b.stalenessSeconds - a.stalenessSeconds || a.shard.localeCompare(b.shard));
  const finite = all.filter((entry) => Number.isFinite(entry.stalenessSeconds));
  return {
    maxSeconds: finite[0]?.stalenessSeconds ?? 0,
    staleShards: stale,
    // A never-completed shard is listed with -1: JSON has no infinity.
    worst: all
      .slice(0, worstCount)
      .map((entry) => (Number.isFinite(entry.stalenessSeconds) ? entry : { ...entry, stalenessSeconds: -1 })),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
