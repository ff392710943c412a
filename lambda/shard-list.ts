// The SHARDS variable: a static list of shards, as the dispatcher reads it.
import type { ShardTarget } from './core/organization';

/** One shard as `SHARDS` lists it; a missing account or region is the function's own. */
export interface ShardSpec {
  readonly account?: string;
  readonly region?: string;
  readonly roleArn?: string;
}

const ACCOUNT_ID = /^\d{12}$/;

/**
 * Reads `SHARDS` (a JSON array of `{ account?, region?, roleArn? }`), pushing each problem to
 * `problems`; null when absent or empty (the function's own shard). The hint reader reads the same
 * shape.
 */
export function readShardList(raw: string | undefined, problems: string[]): ShardSpec[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push('SHARDS must be a JSON array of { account, region, roleArn } objects');
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    problems.push('SHARDS must be a non-empty JSON array of { account, region, roleArn } objects');
    return null;
  }
  return parsed.flatMap((entry: unknown, i): ShardSpec[] => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`SHARDS[${i}] must be an object`);
      return [];
    }
    const spec = entry as Record<string, unknown>;
    const text = (key: string): string | undefined => {
      const value = spec[key];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'string' || value.trim() === '') {
        problems.push(`SHARDS[${i}].${key} must be a non-empty string`);
        return undefined;
      }
      return value;
    };
    const account = text('account');
    if (account !== undefined && !ACCOUNT_ID.test(account))
      problems.push(`SHARDS[${i}].account must be 12 digits, got "${account}"`);
    const region = text('region');
    const roleArn = text('roleArn');
    return [{ ...(account && { account }), ...(region && { region }), ...(roleArn && { roleArn }) }];
  });
}

/** The shards of a list, a missing account or region filled with the function's own; each shard once. */
export function shardsOfList(
  specs: readonly ShardSpec[] | null,
  own: { account: string; region: string },
): ShardTarget[] {
  const byKey = new Map<string, ShardTarget>();
  for (const spec of specs ?? [{}]) {
    const target: ShardTarget = {
      account: spec.account ?? own.account,
      region: spec.region ?? own.region,
      ...(spec.roleArn && { roleArn: spec.roleArn }),
    };
    byKey.set(`${target.account}#${target.region}`, target);
  }
  return [...byKey.values()];
}
