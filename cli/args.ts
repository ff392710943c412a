// Flag parsing shared by the commands, turning node:util's errors into one UsageError line.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SSM_HISTORY_DAYS } from '../lambda/cycle/backfill';
import { UsageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses flags strictly; unknown flags and missing values become a UsageError naming the command. */
export function parseFlags<T extends Options>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    const message =
      error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, '') : String(error);
    throw new UsageError(`${command}: ${message}`);
  }
}

/** A required string flag, or a UsageError naming it. */
export function requireFlag(command: string, name: string, value: string | undefined): string {
  if (!value?.trim()) throw new UsageError(`${command}: --${name} <value> is required.`);
  return value.trim();
}

/** A flag with a fixed set of values, or a UsageError listing them. */
export function parseChoice<T extends string>(
  command: string,
  flag: string,
  raw: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (raw === undefined) return fallback;
  const value = raw.trim();
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${command}: --${flag} must be one of ${choices.join(', ')}; got "${raw}".`);
  }
  return value as T;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Reads a `--since` flag: a duration back from `now` (`30m`, `24h`, `7d`, `90s`, `2w`) or an ISO 8601
 * date or date-time. Anything else is a UsageError naming `command`.
 *
 * @example
 * parseSinceFlag('backfill', '7d', Date.parse('2026-11-25T00:00:00Z')); // 2026-11-18T00:00:00.000Z
 */
export function parseSinceFlag(command: string, raw: string, now: number): Date {
  const text = raw.trim();
  const relative = /^(\d+)([smhdw])$/.exec(text);
  if (relative?.[1] && relative[2]) {
    return new Date(now - Number(relative[1]) * (UNIT_MS[relative[2]] ?? 0));
  }
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(
    text,
  );
  const time = iso ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new UsageError(
      `${command}: --since must be a duration like 30m, 24h or 7d, or an ISO 8601 time like 2026-11-01T00:00:00Z; got "${raw}".`,
    );
  }
  return new Date(time);
}

/**
 * Reads a `--since` into what SSM still remembers: like {@link parseSinceFlag}, and at most
 * {@link SSM_HISTORY_DAYS} days before `now` and not after it, or a UsageError saying so.
 *
 * @example
 * parseRememberedSince('backfill', '12h', Date.parse('2026-11-25T12:00:00Z')); // 2026-11-25T00:00:00.000Z
 */
export function parseRememberedSince(command: string, raw: string, now: number): Date {
  const since = parseSinceFlag(command, raw, now);
  if (since.getTime() < now - SSM_HISTORY_DAYS * (UNIT_MS.d ?? 0) || since.getTime() > now) {
    throw new UsageError(
      `${command}: --since must be at most ${SSM_HISTORY_DAYS} days back (SSM keeps Automation history ${SSM_HISTORY_DAYS} days) and not in the future; got "${raw}".`,
    );
  }
  return since;
}
