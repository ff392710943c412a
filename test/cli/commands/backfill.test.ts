// The backfill command's pure parts: --since limits, the progress line and bar, the summary line.
import { describe, expect, it } from 'vitest';
import { parseRememberedSince } from '../../../cli/args';
import {
  BackfillProgressDisplay,
  type BackfillTally,
  percentRead,
  progressLine,
  summaryLine,
} from '../../../cli/commands/backfill';
import { UsageError } from '../../../cli/errors';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const DAY = 86_400_000;
const tally: BackfillTally = { cycles: 3, executions: 1234, transitions: 5678, published: 0, ssmCalls: 1 };

describe('Function: parseRememberedSince', () => {
  it('reads durations and dates up to 30 days back', () => {
    expect(parseRememberedSince('backfill', '30d', NOW).toISOString()).toBe('2026-10-26T12:00:00.000Z');
    expect(parseRememberedSince('backfill', '12h', NOW).toISOString()).toBe('2026-11-25T00:00:00.000Z');
    expect(parseRememberedSince('backfill', '2026-11-01', NOW).toISOString()).toBe(
      '2026-11-01T00:00:00.000Z',
    );
  });

  it('throws a UsageError saying the limit for more than 30 days back or a future time', () => {
    for (const bad of ['31d', '721h', '2026-10-01', '2026-11-26T00:00:00Z']) {
      expect(() => parseRememberedSince('backfill', bad, NOW)).toThrow(UsageError);
      expect(() => parseRememberedSince('backfill', bad, NOW)).toThrow(/at most 30 days back/);
    }
  });

  it('throws a UsageError for what is not a duration or a date', () => {
    expect(() => parseRememberedSince('backfill', 'tomorrow', NOW)).toThrow(
      /^backfill: --since must be a duration/,
    );
  });
});

describe('Function: percentRead', () => {
  it('says how much of the span from since to now is read, 100 only when done', () => {
    const since = NOW - 10 * DAY;
    expect(percentRead({ since, readUntil: since, done: false }, NOW)).toBe(0);
    expect(percentRead({ since, readUntil: since + 4.25 * DAY, done: false }, NOW)).toBe(42);
    expect(percentRead({ since, readUntil: NOW, done: false }, NOW)).toBe(99);
    expect(percentRead({ since, readUntil: since, done: true }, NOW)).toBe(100);
  });
});

describe('Function: progressLine', () => {
  it('says how far the backfill read and what it found', () => {
    const since = NOW - 10 * DAY;
    expect(progressLine({ since, readUntil: since + 4.25 * DAY, done: false }, tally, NOW)).toBe(
      'backfill: 42% read up to 2026-11-19T18:00:00Z, 1,234 executions, 5,678 transitions',
    );
  });
});

describe('Function: summaryLine', () => {
  it('says a finished backfill is done and that nothing was published', () => {
    expect(summaryLine(tally, { done: true, emit: false })).toBe(
      'backfill done: 1,234 executions read, 5,678 transitions recorded, not published (--emit publishes them), 3 cycles, 1 SSM call.',
    );
  });

  it('says an unfinished backfill can go on, and what it published with --emit', () => {
    expect(summaryLine({ ...tally, published: 5678 }, { done: false, emit: true })).toBe(
      'backfill stopped before the end: 1,234 executions read, 5,678 transitions recorded, 5,678 published, 3 cycles, 1 SSM call; run the same command again to go on.',
    );
  });
});

describe('Class: BackfillProgressDisplay', () => {
  const progress = { since: NOW - 10 * DAY, readUntil: NOW - 5 * DAY, done: false };

  function displayOn(isTTY: boolean) {
    const written: string[] = [];
    const display = new BackfillProgressDisplay({ isTTY, write: (text: string) => written.push(text) });
    return { display, written };
  }

  it('redraws one bar in place on a terminal and removes it at the end', () => {
    // Prepare
    const { display, written } = displayOn(true);

    // Act
    display.update(progress, tally, NOW);
    display.update({ ...progress, done: true }, tally, NOW);
    display.done();

    // Assess
    expect(written).toEqual([
      '\r\x1b[K[##########----------] backfill: 50% read up to 2026-11-20T12:00:00Z, 1,234 executions, 5,678 transitions',
      '\r\x1b[K[####################] backfill: 100% read up to 2026-11-20T12:00:00Z, 1,234 executions, 5,678 transitions',
      '\r\x1b[K',
    ]);
  });

  it('writes plain lines elsewhere', () => {
    // Prepare
    const { display, written } = displayOn(false);

    // Act
    display.update(progress, tally, NOW);
    display.done();

    // Assess
    expect(written).toEqual([
      'backfill: 50% read up to 2026-11-20T12:00:00Z, 1,234 executions, 5,678 transitions\n',
    ]);
  });
});
