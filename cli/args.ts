// Flag parsing shared by the commands, turning node:util's errors into one UsageError line.
import { type ParseArgsConfig, parseArgs } from 'node:util';
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
