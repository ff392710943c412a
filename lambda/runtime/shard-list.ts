// The static shard list, from SHARDS or the bundle's shards.json (SHARDS_FILE), as the dispatcher and the hint reader read it.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ShardTarget } from '../core/organization';
import { shardKey } from '../core/shard-key';

/** One shard as `SHARDS` lists it; a missing account or region is the function's own. */
export interface ShardSpec {
  readonly account?: string;
  readonly region?: string;
  readonly roleArn?: string;
}

const ACCOUNT_ID = /^\d{12}$/;

/**
 * Reads `SHARDS` (a JSON array of `{ account?, region?, roleArn? }`), pushing each problem to
 * `problems` (named by `name`); null when absent or empty (the function's own shard).
 */
export function readShardList(
  raw: string | undefined,
  problems: string[],
  name = 'SHARDS',
): ShardSpec[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push(`${name} must be a JSON array of { account, region, roleArn } objects`);
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    problems.push(`${name} must be a non-empty JSON array of { account, region, roleArn } objects`);
    return null;
  }
  return parsed.flatMap((entry: unknown, i): ShardSpec[] => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${name}[${i}] must be an object`);
      return [];
    }
    const spec = entry as Record<string, unknown>;
    const text = (key: string): string | undefined => {
      const value = spec[key];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'string' || value.trim() === '') {
        problems.push(`${name}[${i}].${key} must be a non-empty string`);
        return undefined;
      }
      return value;
    };
    const account = text('account');
    if (account !== undefined && !ACCOUNT_ID.test(account))
      problems.push(`${name}[${i}].account must be 12 digits, got "${account}"`);
    const region = text('region');
    const roleArn = text('roleArn');
    return [{ ...(account && { account }), ...(region && { region }), ...(roleArn && { roleArn }) }];
  });
}

/**
 * The static shard list of an environment: `SHARDS`; or, when it is absent, the file `SHARDS_FILE`
 * names (the construct writes `shards.json` into the bundle when the list is too long for Lambda's
 * 4 KB of environment), relative to the bundle's directory: `LAMBDA_TASK_ROOT`, else the working
 * directory (the construct's CommonJS build imports this module, where `import.meta` cannot be).
 * Each problem (a file that cannot be read, invalid JSON, a bad entry) is pushed to `problems`; null
 * when neither is set (the function's own shard).
 *
 * @example
 * const problems: string[] = [];
 * const shards = readShardSource({ SHARDS_FILE: 'shards.json', LAMBDA_TASK_ROOT: '/var/task' }, problems);
 */
/** An environment, as the configuration reads it. */
type Env = Readonly<Record<string, string | undefined>>;

export function readShardSource(env: Env, problems: string[]): ShardSpec[] | null {
  const inline = env.SHARDS?.trim();
  if (inline) return readShardList(inline, problems);
  const file = env.SHARDS_FILE?.trim();
  if (!file) return null;
  const base = env.LAMBDA_TASK_ROOT?.trim() || process.cwd();
  const path = isAbsolute(file) ? file : resolve(base, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    problems.push(`SHARDS_FILE names ${path}, which cannot be read (${code})`);
    return null;
  }
  if (text.trim() === '') {
    problems.push(`SHARDS_FILE ${path} is empty`);
    return null;
  }
  return readShardList(text, problems, `SHARDS_FILE ${file}`);
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
    byKey.set(shardKey(target), target);
  }
  return [...byKey.values()];
}
