// Over the wire: two rate-control runs through the sandbox and the real poller, then `executions` and its flags as a user runs them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXECUTIONS_CSV_COLUMNS, EXECUTIONS_TABLE_HEADERS } from '../../../cli/history/listing-format';
import { KNOWN_STATUSES } from '../../../lambda/core/status';
import { runPollCycle } from '../../../lambda/cycle/poll-cycle';
import { createPoller } from '../../../lambda/runtime/poller';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalStack, startLocalStack } from '../../../sandbox/local-stack';
import { type RateControlTarget, rateControlRun } from '../../../sandbox/rate-control';
import type { ScenarioExecution } from '../../../sandbox/scenario';
import { runCli } from '../../helpers/cli';
import { parseCsv } from '../history/fixtures';

const BIG_RUN = 'bbbbbbbb-0000-4000-8000-000000000001';
const LATE_RUN = 'bbbbbbbb-0000-4000-8000-000000000002';
const TARGETS = 200;
/** Every 20th target fails, every 20th (offset 10) times out, and the last one is still running when polling stops. */
function bigRunTargets(): RateControlTarget[] {
  return Array.from({ length: TARGETS }, (_, i) => ({
    name: `i-${String(i).padStart(5, '0')}`,
    durationSeconds: i === TARGETS - 1 ? 3_600 : 2 + (i % 3),
    ...(i % 20 === 5 && { outcome: 'Failed' }),
    ...(i % 20 === 15 && { outcome: 'TimedOut' }),
  }));
}

interface JsonExecution {
  executionId: string;
  documentName: string;
  status: string;
  startTime: string;
  endTime: string | null;
  durationSeconds: number | null;
  account: string | null;
  region: string | null;
  parentExecutionId: string | null;
  failedSteps: number | null;
  alarms: number | null;
}

describe('Command: step-watch executions (a 200-target rate-control run over the wire)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'step-watch-executions-'));
  // Two hours ago, so the run still in flight has been running about two hours when the CLI looks.
  const start = Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;
  let now = start;
  let stack: LocalStack | undefined;
  let executions: ScenarioExecution[] = [];
  let env: Record<string, string> = {};

  let everything: Promise<JsonExecution[]> | undefined;
  /** `executions --format json` without filters, run once. */
  const all = (): Promise<JsonExecution[]> => {
    everything ??= json();
    return everything;
  };
  const json = async (...args: string[]): Promise<JsonExecution[]> => {
    const result = await runCli(['executions', '--format', 'json', ...args], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as JsonExecution[];
  };

  beforeAll(async () => {
    // Prepare: a 200-target run at 0 s (one target still running at the end) and a 2-target run at 30 s,
    // polled every 5 simulated seconds until only the long target is left.
    executions = [
      ...rateControlRun({ parentId: BIG_RUN, targets: bigRunTargets(), maxConcurrency: 50 }),
      ...rateControlRun({
        parentId: LATE_RUN,
        targets: [
          { name: 'i-late-0', durationSeconds: 3 },
          { name: 'i-late-1', durationSeconds: 5, outcome: 'Failed' },
        ],
        maxConcurrency: 2,
        startAt: 30,
        documentName: 'AWS-CreateImage',
      }),
    ];
    stack = await startLocalStack({
      scenario: { name: 'executions', executions },
      startEpochMs: start,
      clock: () => now,
      dataDir: join(workDir, 'dynamodb'),
      fresh: true,
    });
    const poller = createPoller(
      {
        tableName: stack.tableName,
        eventBusName: 'step-watch-local',
        eventSource: 'ssm-step-watch',
        historyRetentionDays: 365,
        maxEntryBytes: 262_144,
        ssmDescribeTps: 1000,
      },
      { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
      { clients: stack.clients, timer: { now: () => now, sleep: async () => {} } },
    );
    for (let t = 0; t <= 45; t += 5) {
      now = start + t * 1000;
      await runPollCycle(poller.deps, poller.options);
    }
    env = { ...stack.env, TABLE_NAME: stack.tableName, AWS_REGION: LOCAL_REGION };
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('lists each run’s parent first, its children under it newest first, the later run first', async () => {
    const listed = await all();

    expect(listed).toHaveLength(executions.length);
    expect(listed[0]?.executionId).toBe(LATE_RUN);
    const bigAt = listed.findIndex((e) => e.executionId === BIG_RUN);
    expect(bigAt).toBe(3);
    expect(listed.slice(1, 3).map((e) => e.parentExecutionId)).toEqual([LATE_RUN, LATE_RUN]);
    const children = listed.slice(bigAt + 1);
    expect(children.every((e) => e.parentExecutionId === BIG_RUN)).toBe(true);
    const keys = children.map((e) => `${e.startTime} ${e.executionId}`);
    // Newest first, ties by id ascending.
    expect(keys).toEqual(
      [...children]
        .sort((a, b) =>
          a.startTime !== b.startTime
            ? a.startTime < b.startTime
              ? 1
              : -1
            : a.executionId < b.executionId
              ? -1
              : 1,
        )
        .map((e) => `${e.startTime} ${e.executionId}`),
    );
  });

  it('gives each execution its account, region and duration', async () => {
    const listed = await all();

    expect(new Set(listed.map((e) => `${e.account} ${e.region}`))).toEqual(
      new Set([`${LOCAL_ACCOUNT} ${LOCAL_REGION}`]),
    );
    // The last target of the big run (its last child) runs for an hour: no end, no duration yet.
    const running = listed.filter((e) => e.durationSeconds === null).map((e) => e.executionId);
    expect(running.sort()).toEqual([BIG_RUN, executions[TARGETS]?.id].sort());
    for (const execution of listed.filter((e) => e.endTime !== null)) {
      const expected = (Date.parse(execution.endTime ?? '') - Date.parse(execution.startTime)) / 1000;
      expect(execution.durationSeconds).toBeCloseTo(expected, 1);
    }
    // The children of the big run last 2, 3 or 4 seconds as scheduled.
    const ended = listed.filter((e) => e.parentExecutionId === BIG_RUN && e.durationSeconds !== null);
    expect(ended).toHaveLength(TARGETS - 1);
    expect(new Set(ended.map((e) => e.durationSeconds))).toEqual(new Set([2, 3, 4]));
  });

  it('shows durations in the table, and how long the in-flight ones have run', async () => {
    const result = await runCli(['executions'], env);

    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]?.split(/\s{2,}/)).toEqual([...EXECUTIONS_TABLE_HEADERS]);
    expect(lines).toHaveLength(executions.length + 1);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${LATE_RUN}\\s+AWS-CreateImage\\s+Failed\\s+\\S+Z\\s+\\S+Z\\s+\\d+s\\s+${LOCAL_ACCOUNT}\\s+${LOCAL_REGION}\\s+-\\s`,
      ),
    );
    expect(lines[2]).toMatch(/^↳ \S+\s+AWS-CreateImage\s/);
    const big = lines.find((l) => l.startsWith(BIG_RUN));
    expect(big).toMatch(/\sInProgress\s+\S+Z\s+-\s+running 2h 0\dm\s/);
    expect(lines.filter((l) => /\srunning \d+h \d\dm\s/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /\s[234]s\s/.test(l)).length).toBeGreaterThanOrEqual(TARGETS - 1);
  });

  it('lists only the runs’ parents with --roots', async () => {
    expect((await json('--roots')).map((e) => e.executionId)).toEqual([LATE_RUN, BIG_RUN]);
    expect((await json('--roots', '--status', 'inprogress')).map((e) => e.executionId)).toEqual([BIG_RUN]);
  });

  it('lists executions in any of several statuses with --status, in any case', async () => {
    const [listed, repeated] = await Promise.all([
      json('--status', 'failed,timedout'),
      json('--status', 'FAILED', '--status', 'TimedOut'),
    ]);

    const expected = executions
      .filter((e) => e.id !== BIG_RUN && e.id !== LATE_RUN)
      .filter((e) => ['Failed', 'TimedOut'].includes(e.steps[0]?.timeline[1]?.status ?? ''))
      .map((e) => e.id);
    // The late run's parent failed: its failed child follows it; the big run's failures stand alone.
    expect(listed.map((e) => e.executionId).sort()).toEqual([LATE_RUN, ...expected].sort());
    expect(listed.filter((e) => e.parentExecutionId === BIG_RUN)).toHaveLength(20);
    expect(new Set(listed.map((e) => e.status))).toEqual(new Set(['Failed', 'TimedOut']));
    expect(repeated).toEqual(listed);
  });

  it('refuses an unknown status with exit code 2 and one line naming the known ones', async () => {
    const result = await runCli(['executions', '--status', 'Bogus'], env);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `step-watch: executions: --status "Bogus" is not a status SSM uses; known: ${KNOWN_STATUSES.join(', ')}.\n`,
    );
  });

  it('stops after --limit executions, and refuses a limit that is not a positive whole number', async () => {
    const [every, five, zero] = await Promise.all([
      all(),
      json('--limit', '5'),
      runCli(['executions', '--limit', '0'], env),
    ]);

    expect(five).toEqual(every.slice(0, 5));
    expect(zero.code).toBe(2);
    expect(zero.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('writes CSV: a header record, then one record per execution with account and region', async () => {
    const result = await runCli(['executions', '--format', 'csv'], env);

    expect(result.code).toBe(0);
    expect(result.stdout.split('\r\n').slice(0, -1)).toHaveLength(executions.length + 1);
    const [header, ...records] = parseCsv(result.stdout);
    expect(header).toEqual([...EXECUTIONS_CSV_COLUMNS]);
    const column = (name: (typeof EXECUTIONS_CSV_COLUMNS)[number]) => EXECUTIONS_CSV_COLUMNS.indexOf(name);
    expect(records.map((r) => r[column('executionId')])).toEqual((await all()).map((e) => e.executionId));
    expect(new Set(records.map((r) => `${r[column('account')]} ${r[column('region')]}`))).toEqual(
      new Set([`${LOCAL_ACCOUNT} ${LOCAL_REGION}`]),
    );
    const running = records.filter((r) => r[column('status')] === 'InProgress');
    expect(running.map((r) => [r[column('endTime')], r[column('durationSeconds')]])).toEqual([
      ['', ''],
      ['', ''],
    ]);
  });
});
