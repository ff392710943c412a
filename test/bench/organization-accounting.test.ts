// The 500-shard bench's accounting: percentiles, staleness samples and the monthly cost per shard.
import { describe, expect, it } from 'vitest';
import {
  LIST_PRICES,
  MONTH_SECONDS,
  percentile,
  type ShardCycleUsage,
  shardMonthlyCost,
  stalenessAt,
} from '../../bench/organization-accounting';

describe('Function: percentile', () => {
  it('gives the nearest-rank value', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);

    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
  });

  it('gives the smallest value at 0 and 0 for no values', () => {
    expect(percentile([7, 3, 9], 0)).toBe(3);
    expect(percentile([], 99)).toBe(0);
  });
});

describe('Function: stalenessAt', () => {
  const t0 = Date.parse('2026-11-25T08:00:00.000Z');

  it('measures from the start of the last complete cycle, and from the run start for a shard never served', () => {
    // Prepare
    const last = new Map<string, string | null>([
      ['111111111111#us-east-1', '2026-11-25T08:01:00.000Z'],
      ['111111111111#eu-west-1', '2026-11-25T08:01:45.500Z'],
      ['222222222222#us-east-1', null],
    ]);

    // Act
    const seconds = stalenessAt(last, t0 + 120_000, t0);

    // Assess
    expect(seconds).toEqual([60, 14.5, 120]);
  });

  it('never reports a negative staleness', () => {
    expect(stalenessAt(new Map([['a#b', '2026-11-25T08:00:10.000Z']]), t0, t0)).toEqual([0]);
  });
});

describe('Function: shardMonthlyCost', () => {
  const usage: ShardCycleUsage = {
    pollSeconds: 1,
    pollInvocations: 1,
    pollMemoryMb: 512,
    dispatcherSeconds: 2,
    dispatcherMemoryMb: 256,
    shards: 500,
    readUnits: 4,
    writeUnits: 10,
    sqsRequests: 2.1,
    putEvents: 2,
    logBytes: 2048,
  };

  it('prices a month of one-minute cycles at list prices, the dispatcher and the schedule shared', () => {
    // Act
    const cost = shardMonthlyCost(usage, 60);

    // Assess: 43,200 cycles a month.
    const cycles = MONTH_SECONDS / 60;
    expect(cycles).toBe(43_200);
    const lambda =
      cycles *
      ((0.5 + (2 * 0.25) / 500) * LIST_PRICES.lambdaGbSecond + (1 + 1 / 500) * LIST_PRICES.lambdaRequest);
    expect(cost.lambda).toBeCloseTo(lambda, 4);
    expect(cost.dynamodb).toBeCloseTo(cycles * (4 * 0.125e-6 + 10 * 0.625e-6), 4);
    expect(cost.sqs).toBeCloseTo(cycles * 2.1 * 0.4e-6, 4);
    expect(cost.scheduler).toBeCloseTo(cycles / 500 / 1e6, 4);
    expect(cost.putEvents).toBeCloseTo(cycles * 2 * 1e-6, 4);
    expect(cost.logs).toBeCloseTo((cycles * 2048 * 0.5) / 1024 ** 3, 4);
    expect(cost.total).toBeCloseTo(
      cost.lambda + cost.dynamodb + cost.sqs + cost.scheduler + cost.putEvents + cost.logs,
      3,
    );
  });

  it('halves with a period twice as long', () => {
    const minute = shardMonthlyCost(usage, 60);
    const twoMinutes = shardMonthlyCost(usage, 120);

    expect(twoMinutes.total).toBeCloseTo(minute.total / 2, 3);
  });
});
