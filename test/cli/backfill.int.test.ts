// `step-watch backfill` in a child process against the local stack: recorded not published, --emit, resumable, bad --since.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable } from '../../lambda/adapters/dynamodb/create-table';
import { DynamoHistoryReader } from '../../lambda/adapters/dynamodb/history-reader';
import type { TransitionRecord } from '../../lambda/core/history';
import { type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import type { Scenario } from '../../sandbox/scenario';
import { sequentialRun } from '../../sandbox/sequential-runbook';
import { idFromSeed } from '../../sandbox/ssm-behaviour';
import { runCli } from '../helpers/cli';

const credentials = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
const DAY_SECONDS = 86_400;
/** The scenario's `at: 0`, this many days before the tests run, so every execution is in SSM's 30 days. */
const SCENARIO_DAYS_BACK = 21;

/** Executions of three steps each, started `daysBack` days before now, all ended long ago. */
function endedRuns(seed: string, daysBack: readonly number[]): Scenario {
  return {
    name: seed,
    executions: daysBack.map((days, i) =>
      sequentialRun({
        executionId: idFromSeed(`${seed}/${i}`),
        steps: 3,
        stepSeconds: 2,
        startAt: (SCENARIO_DAYS_BACK - days) * DAY_SECONDS + i,
        ...(i % 2 === 1 && { ending: { kind: 'failure', atStep: 1 } as const }),
      }),
    ),
  };
}

/** Every transition recorded in a table, across the given executions. */
async function recorded(
  stack: LocalStack,
  table: string,
  ids: readonly string[],
): Promise<TransitionRecord[]> {
  const reader = new DynamoHistoryReader({ tableName: table, client: stack.clients.dynamodb });
  const records: TransitionRecord[] = [];
  for (const id of ids) for await (const record of reader.transitions(id)) records.push(record);
  return records;
}

/** Transitions a sequential run of three steps records: the execution's, and each started step's. */
function expectedTransitions(scenario: Scenario): number {
  return scenario.executions.reduce(
    (sum, e) => sum + 1 + e.steps.filter((s) => s.timeline.length > 0).length,
    0,
  );
}

const lastLine = (text: string): string => text.trim().split('\n').at(-1) ?? '';

describe('Command: step-watch backfill', () => {
  const scenario = endedRuns('backfill-cli', [20, 14, 9, 5, 2]);
  const ids = scenario.executions.map((e) => e.id);
  let stack: LocalStack;
  let env: Record<string, string>;
  beforeAll(async () => {
    stack = await startLocalStack({
      scenario,
      startEpochMs: Date.now() - SCENARIO_DAYS_BACK * DAY_SECONDS * 1000,
      tableName: 'backfill-table',
    });
    env = { ...credentials, ...stack.env };
  });
  afterAll(() => stack.stop());

  it('records what SSM remembers without publishing it, then says it is done', async () => {
    // Act
    const result = await runCli(
      [
        'backfill',
        '--since',
        '30d',
        '--table',
        'backfill-table',
        '--bus',
        'ops',
        '--account',
        '111122223333',
      ],
      env,
    );

    // Assess
    expect(result.code).toBe(0);
    const total = expectedTransitions(scenario);
    expect(lastLine(result.stdout)).toMatch(
      new RegExp(
        `^backfill done: 5 executions read, ${total} transitions recorded, not published \\(--emit publishes them\\), \\d+ cycles?, \\d+ SSM calls\\.$`,
      ),
    );
    expect(result.stderr).toMatch(
      new RegExp(`^backfill: 100% read up to \\S+Z, 5 executions, ${total} transitions$`, 'm'),
    );
    const records = await recorded(stack, 'backfill-table', ids);
    expect(records).toHaveLength(expectedTransitions(scenario));
    expect(new Set(records.map((r) => r.executionId))).toEqual(new Set(ids));
    expect(stack.recorder.events()).toHaveLength(0);

    // Act: the same command again
    const again = await runCli(
      [
        'backfill',
        '--since',
        '30d',
        '--table',
        'backfill-table',
        '--bus',
        'ops',
        '--account',
        '111122223333',
      ],
      env,
    );

    // Assess
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      'backfill: already done; everything SSM remembered when it ran is in the table.\n',
    );
    expect(await recorded(stack, 'backfill-table', ids)).toHaveLength(records.length);
    expect(stack.recorder.events()).toHaveLength(0);
  });

  it('publishes what it records with --emit', async () => {
    // Prepare: a table of its own, so this backfill starts from nothing.
    const total = expectedTransitions(scenario);
    await createTable(stack.clients.dynamodb, 'emit-table');
    const before = stack.recorder.events().length;

    // Act
    const result = await runCli(
      [
        'backfill',
        '--since',
        new Date(Date.now() - 25 * DAY_SECONDS * 1000).toISOString(),
        '--emit',
        '--table',
        'emit-table',
        '--bus',
        'ops',
        '--account',
        '111122223333',
      ],
      env,
    );

    // Assess
    expect(result.code).toBe(0);
    expect(lastLine(result.stdout)).toMatch(
      new RegExp(
        `^backfill done: 5 executions read, ${total} transitions recorded, ${total} published, \\d+ cycles?, \\d+ SSM calls\\.$`,
      ),
    );
    const records = await recorded(stack, 'emit-table', ids);
    expect(records).toHaveLength(expectedTransitions(scenario));
    const events = stack.recorder.events().slice(before);
    expect(events.map((e) => (e.detail as { eventId: string }).eventId).sort()).toEqual(
      records.map((r) => r.eventId).sort(),
    );
    expect(events.every((e) => e.eventBusName === 'ops')).toBe(true);
  });

  it('only reads as far back as --since asks', async () => {
    // Prepare
    await createTable(stack.clients.dynamodb, 'recent-table');

    // Act: the runs of 5 and 2 days ago only
    const result = await runCli(
      ['backfill', '--since', '6d', '--table', 'recent-table', '--bus', 'ops', '--account', '111122223333'],
      env,
    );

    // Assess
    expect(result.code).toBe(0);
    expect(lastLine(result.stdout)).toMatch(/^backfill done: 2 executions read, /);
    const records = await recorded(stack, 'recent-table', ids);
    expect(new Set(records.map((r) => r.executionId))).toEqual(new Set(ids.slice(3)));
  });

  it.each([
    { what: '31d', since: '31d', message: /at most 30 days back/ },
    { what: 'tomorrow', since: 'tomorrow', message: /must be a duration like 30m, 24h or 7d/ },
    {
      what: 'a date two days ahead',
      since: new Date(Date.now() + 2 * DAY_SECONDS * 1000).toISOString(),
      message: /at most 30 days back .* not in the future/,
    },
    { what: 'abc', since: 'abc', message: /must be a duration like 30m, 24h or 7d/ },
  ])('rejects --since $what with one line and the usage exit code', async ({ since, message }) => {
    const result = await runCli(['backfill', '--since', since, '--table', 't', '--bus', 'b']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^step-watch: backfill: --since [^\n]*\n$/);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('rejects a bad --time-limit with one line and the usage exit code', async () => {
    const result = await runCli([
      'backfill',
      '--since',
      '7d',
      '--time-limit',
      '0',
      '--table',
      't',
      '--bus',
      'b',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('step-watch: backfill: --time-limit must be a positive number, got "0".\n');
  });
});

describe('Command: step-watch backfill (resumable)', () => {
  // Enough executions that at one Describe call a second a 4-second run cannot read them all.
  const scenario = endedRuns(
    'backfill-resume',
    Array.from({ length: 12 }, (_, i) => 3 + i),
  );
  const ids = scenario.executions.map((e) => e.id);
  let stack: LocalStack;
  let env: Record<string, string>;
  beforeAll(async () => {
    stack = await startLocalStack({
      scenario,
      startEpochMs: Date.now() - SCENARIO_DAYS_BACK * DAY_SECONDS * 1000,
      tableName: 'resume-table',
    });
    env = { ...credentials, ...stack.env };
  });
  afterAll(() => stack.stop());

  it('stops at the time limit saying it can go on, and the next run finishes without recording twice', async () => {
    const args = ['backfill', '--since', '20d', '--table', 'resume-table', '--bus', 'ops', '--tps', '1'];

    // Act
    const first = await runCli([...args, '--time-limit', '4'], env);

    // Assess
    expect(first.code).toBe(0);
    expect(lastLine(first.stdout)).toMatch(
      /^backfill stopped before the end: \d+ executions read, \d+ transitions recorded, not published .*; run the same command again to go on\.$/,
    );
    const partly = await recorded(stack, 'resume-table', ids);
    expect(partly.length).toBeGreaterThan(0);
    expect(partly.length).toBeLessThan(expectedTransitions(scenario));

    // Act
    const second = await runCli(args, env);

    // Assess
    expect(second.code).toBe(0);
    expect(lastLine(second.stdout)).toMatch(/^backfill done: /);
    const records = await recorded(stack, 'resume-table', ids);
    expect(records).toHaveLength(expectedTransitions(scenario));
    expect(new Set(records.map((r) => r.eventId)).size).toBe(records.length);
    const transitionsOf = (stdout: string): number =>
      Number(/(\d+) transitions recorded/.exec(lastLine(stdout))?.[1]);
    expect(transitionsOf(first.stdout) + transitionsOf(second.stdout)).toBe(expectedTransitions(scenario));
    expect(stack.recorder.events()).toHaveLength(0);
  }, 90_000);
});
