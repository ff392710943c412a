// `step-watch poll --time-limit` in a child process against the local stack: each run ends in time, the next goes on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import { type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import { sequentialRun } from '../../sandbox/sequential-runbook';
import { idFromSeed } from '../../sandbox/ssm-behaviour';
import { runCli } from '../helpers/cli';

const credentials = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
const STEPS = 1200;
const LIMIT_SECONDS = 6;
/** What a child process may take beyond its limit: starting npx, tsx and the SDK, not the cycle. */
const START_UP_SECONDS = 5;

interface PollSummary {
  readonly complete: boolean;
  readonly executionsDeferred: number;
  readonly stepPages: number;
}

/** The JSON summary, which must be the last line of the output. */
function summaryOf(stdout: string): PollSummary {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as PollSummary;
}

interface StepDetail {
  readonly step: { readonly stepExecutionId: string; readonly status: string };
}

const stepEventsOf = (events: readonly RecordedEvent[]) =>
  events.filter((e) => e.detailType === 'Automation Step Status Change');

describe('Command: step-watch poll --time-limit', () => {
  const executionId = idFromSeed('poll-time-limit/long');
  let stack: LocalStack;
  let env: Record<string, string>;
  beforeAll(async () => {
    // One long run that ended a minute ago: 1,200 steps, 24 pages, 12 s of Describe calls at 2 a second.
    const run = sequentialRun({ executionId, steps: STEPS, stepSeconds: 0.1 });
    stack = await startLocalStack({
      scenario: { name: 'long', executions: [run] },
      startEpochMs: Date.now() - (STEPS * 0.1 + 60) * 1000,
      tableName: 'limit-table',
    });
    env = { ...credentials, ...stack.env };
  });
  afterAll(() => stack.stop());

  const poll = async () => {
    const started = Date.now();
    const result = await runCli(
      [
        'poll',
        '--table',
        'limit-table',
        '--bus',
        'ops',
        '--account',
        '111122223333',
        '--tps',
        '2',
        '--time-limit',
        String(LIMIT_SECONDS),
      ],
      env,
    );
    return { ...result, seconds: (Date.now() - started) / 1000 };
  };

  it('ends in time, and the next runs go on where it stopped until every step is delivered', async () => {
    // Act
    const first = await poll();

    // Assess: in time, with part of the steps sent and the rest left for the next run
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.seconds).toBeLessThanOrEqual(LIMIT_SECONDS + START_UP_SECONDS);
    expect(summaryOf(first.stdout)).toMatchObject({ complete: false, executionsDeferred: 1 });
    const afterFirst = stepEventsOf(stack.recorder.events()).length;
    expect(afterFirst).toBeGreaterThan(0);
    expect(afterFirst).toBeLessThan(STEPS);

    // Act: as a cron job would, run after run until the read is complete. A listing cut short goes
    // on by start-time windows from the execution's start (SSM documents no order to go on from),
    // so the second run may read again what the first one sent; it sends nothing twice.
    const delivered = [afterFirst];
    for (let summary = summaryOf(first.stdout); !summary.complete && delivered.length < 10; ) {
      const next = await poll();
      expect(next.code).toBe(0);
      expect(next.seconds).toBeLessThanOrEqual(LIMIT_SECONDS + START_UP_SECONDS);
      summary = summaryOf(next.stdout);
      expect(summary.stepPages).toBeGreaterThan(0);
      delivered.push(stepEventsOf(stack.recorder.events()).length);
    }

    // Assess: the runs went on past the first
    expect(delivered.length).toBeGreaterThan(2);
    expect(delivered.at(-1)).toBeGreaterThan(afterFirst);

    // Assess: every step's final status delivered once, the execution's last
    const events = stack.recorder.events();
    const steps = stepEventsOf(events).map((e) => (e.detail as StepDetail).step);
    expect(steps.every((step) => step.status === 'Success')).toBe(true);
    expect(new Set(steps.map((step) => step.stepExecutionId)).size).toBe(STEPS);
    expect(steps).toHaveLength(STEPS);
    expect(events.at(-1)).toMatchObject({
      detailType: 'Automation Execution Status Change',
      detail: { executionId, executionStatus: 'Success' },
    });
  }, 120_000);

  it('rejects a time limit that is not a positive number with one line', async () => {
    const results = await Promise.all(
      ['0', '-5', 'soon'].map((limit) =>
        runCli(['poll', '--table', 't', '--bus', 'b', `--time-limit=${limit}`]),
      ),
    );
    expect(results.map((r) => r.code)).toEqual([2, 2, 2]);
    expect(results.map((r) => r.stderr)).toEqual([
      'step-watch: poll: --time-limit must be a positive number, got "0".\n',
      'step-watch: poll: --time-limit must be a positive number, got "-5".\n',
      'step-watch: poll: --time-limit must be a positive number, got "soon".\n',
    ]);
  });
});
