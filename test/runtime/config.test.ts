// Tests of the Lambda configuration: defaults, validation, and every problem in one ConfigError.
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_SOURCE } from '../../lambda/core/defaults';
import { ConfigError } from '../../lambda/core/errors';
import { readConfig, validateEventSource } from '../../lambda/runtime/config';

const minimal = { TABLE_NAME: 'step-watch', EVENT_BUS_NAME: 'step-watch-bus' };

/** The ConfigError readConfig throws for `env`. */
function problemsOf(env: Record<string, string | undefined>): ConfigError {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  return expect.unreachable('readConfig accepted an invalid environment');
}

describe('Function: readConfig', () => {
  it('applies the defaults', () => {
    expect(readConfig(minimal)).toEqual({
      tableName: 'step-watch',
      eventBusName: 'step-watch-bus',
      eventSource: DEFAULT_EVENT_SOURCE,
      historyRetentionDays: 365,
      maxEntryBytes: 262_144,
      ssmDescribeTps: 2,
      hints: true,
    });
    expect(DEFAULT_EVENT_SOURCE).toBe('ssm-step-watch');
  });

  it('reads every setting, trimmed', () => {
    const config = readConfig({
      TABLE_NAME: ' table ',
      EVENT_BUS_NAME: 'bus',
      EVENT_SOURCE: 'com.example.ssm',
      HISTORY_RETENTION_DAYS: '30',
      MAX_ENTRY_BYTES: '1048576',
      SSM_DESCRIBE_TPS: '1.5',
      HINTS: ' off ',
    });

    expect(config).toEqual({
      tableName: 'table',
      eventBusName: 'bus',
      eventSource: 'com.example.ssm',
      historyRetentionDays: 30,
      maxEntryBytes: 1_048_576,
      ssmDescribeTps: 1.5,
      hints: false,
    });
  });

  it('takes HINTS "on" or "off" only', () => {
    expect(readConfig({ ...minimal, HINTS: 'on' }).hints).toBe(true);
    expect(problemsOf({ ...minimal, HINTS: 'yes' }).message).toMatch(
      /HINTS must be "on" or "off", got "yes"/,
    );
  });

  it('reads BACKFILL_DAYS, a whole number of days from 1 to 30, and leaves it out when unset', () => {
    expect(readConfig({ ...minimal, BACKFILL_DAYS: ' 10 ' }).backfillDays).toBe(10);
    expect(readConfig({ ...minimal, BACKFILL_DAYS: '30' }).backfillDays).toBe(30);
    expect(readConfig({ ...minimal, BACKFILL_DAYS: '' })).not.toHaveProperty('backfillDays');
    expect(readConfig(minimal)).not.toHaveProperty('backfillDays');
  });

  it.each(['0', '31', '2.5', 'ten'])('rejects BACKFILL_DAYS=%s', (value) => {
    expect(problemsOf({ ...minimal, BACKFILL_DAYS: value }).message).toBe(
      `Invalid configuration: BACKFILL_DAYS must be a whole number from 1 to 30, got "${value}".`,
    );
  });

  it('names every missing required variable in one ConfigError', () => {
    const error = problemsOf({ TABLE_NAME: '  ' });

    expect(error.message).toMatch(/TABLE_NAME is required/);
    expect(error.message).toMatch(/EVENT_BUS_NAME is required/);
  });

  it('collects problems of different variables together', () => {
    const error = problemsOf({
      EVENT_SOURCE: 'aws.foo',
      SSM_DESCRIBE_TPS: '0',
      HISTORY_RETENTION_DAYS: 'a year',
    });

    expect(error.message).toMatch(/TABLE_NAME is required/);
    expect(error.message).toMatch(/EVENT_BUS_NAME is required/);
    expect(error.message).toMatch(/EVENT_SOURCE must not start with "aws\."/);
    expect(error.message).toMatch(/SSM_DESCRIBE_TPS must be a positive number, got "0"/);
    expect(error.message).toMatch(/HISTORY_RETENTION_DAYS must be a positive number, got "a year"/);
  });

  it("rejects a source starting with 'aws.'", () => {
    expect(() => readConfig({ ...minimal, EVENT_SOURCE: 'aws.foo' })).toThrow(ConfigError);
  });

  it('rejects an entry size below 4096 bytes', () => {
    expect(problemsOf({ ...minimal, MAX_ENTRY_BYTES: '1024' }).message).toMatch(
      /MAX_ENTRY_BYTES must be at least 4096/,
    );
  });
});

describe('Function: validateEventSource', () => {
  it('accepts letters, digits and . _ - /', () => {
    expect(validateEventSource('com.example/ssm_step-watch')).toBeNull();
  });

  it('rejects the aws. prefix and characters outside the allowed set', () => {
    expect(validateEventSource('aws.ssm')).toMatch(/must not start with "aws\."/);
    expect(validateEventSource('has space')).toMatch(/must be 1-256 letters/);
    expect(validateEventSource('x'.repeat(257))).toMatch(/must be 1-256 letters/);
  });
});
