// Over the wire: the demo scenario through the sandbox and the real poller, then `history` and `executions` as a user runs them.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSince } from '../../../cli/commands/executions';
import { UsageError } from '../../../cli/errors';
import { HISTORY_CSV_COLUMNS } from '../../../cli/history/format';
import { Progress } from '../../../cli/output';
import { runPollCycle } from '../../../lambda/cycle/poll-cycle';
import { createPoller } from '../../../lambda/runtime/poller';
import type { RecordedEvent } from '../../../sandbox/event-recorder';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalStack, startLocalStack } from '../../../sandbox/local-stack';
import { demoScenarioPath, loadScenarioFile, type Scenario, scenarioEnd } from '../../../sandbox/scenario';
import { parseCsv } from '../history/fixtures';

const ROOT = new URL('../../..', import.meta.url).pathname;
const PARENT = 'aaaaaaaa-0000-4000-8000-000000000004';
const CHILD = 'aaaaaaaa-0000-4000-8000-000000000005';
const FAILED = 'aaaaaaaa-0000-4000-8000-000000000002';
const CANCELLED = 'aaaaaaaa-0000-4000-8000-000000000006';

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `npx tsx bin/step-watch.ts …args` in a child process, without blocking this process's servers. */
function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'bin/step-watch.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

interface JsonRow {
  executionId: string;
  kind: string;
  observedAt: string | null;
  sequence: number | null;
  eventId: string | null;
  stepName: string | null;
  status: string | null;
  alarmName: string | null;
  failureMessage: string | null;
  depth: number;
  detail: { eventId: string } | null;
}

interface JsonListing {
  executionId: string;
  status: string;
  documentName: string;
  startTime: string;
  failedSteps: number | null;
  alarms: number;
  parentExecutionId: string | null;
}

describe('Command: step-watch history and executions (demo scenario over the wire)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'step-watch-history-'));
  const dataDir = join(workDir, 'dynamodb');
  // Two hours ago, so `--since 24h` finds every execution and `--since 30m` none.
  const start = Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;
  let now = start;
  let stack: LocalStack | undefined;
  let scenario: Scenario;
  let events: RecordedEvent[] = [];
  let env: Record<string, string> = {};

  const eventsOf = (...ids: string[]): RecordedEvent[] =>
    events.filter((e) => ids.includes((e.detail as { executionId: string }).executionId));
  /** The steps of these executions that start at some point (the others never run). */
  const startedSteps = (...ids: string[]) =>
    scenario.executions
      .filter((e) => ids.includes(e.id))
      .flatMap((e) => e.steps.filter((s) => s.timeline.length > 0));
  /** The steps of these executions that never run: SSM lists them Pending for good. */
  const neverRun = (...ids: string[]) =>
    scenario.executions
      .filter((e) => ids.includes(e.id))
      .flatMap((e) => e.steps.filter((s) => s.timeline.length === 0));

  beforeAll(async () => {
    // Prepare: the demo scenario, polled every simulated second until it is over.
    scenario = await loadScenarioFile(demoScenarioPath());
    stack = await startLocalStack({ scenario, startEpochMs: start, clock: () => now, dataDir, fresh: true });
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
    for (let t = 0; t <= Math.ceil(scenarioEnd(scenario)) + 2; t += 0.5) {
      now = start + t * 1000;
      await runPollCycle(poller.deps, poller.options);
    }
    events = stack.recorder.events();
    // A corrupt transition next to the real ones: history must skip it, not crash.
    await DynamoDBDocumentClient.from(stack.clients.dynamodb).send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          pk: `EXEC#${FAILED}`,
          sk: 'EVT#corrupt',
          eventId: 'corrupt',
          executionId: FAILED,
          detailType: 'Automation Step Status Change',
          detail: '{"not json',
          observedAt: new Date(start).toISOString(),
          sequence: 0,
        },
      }),
    );
    env = { ...stack.env, TABLE_NAME: stack.tableName, AWS_REGION: LOCAL_REGION };
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('ran the scenario to its end', () => {
    expect(eventsOf(PARENT, CHILD).length).toBeGreaterThan(8);
    expect(eventsOf(CANCELLED).some((e) => e.detailType === 'Automation Step Alarm Triggered')).toBe(true);
  });

  it('prints the parent and its child as JSON: every recorded transition once, in order', async () => {
    // Act
    const result = await cli(['history', PARENT, '--format', 'json'], env);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as JsonRow[];
    const transitions = rows.filter((r) => r.kind !== 'not-run');
    expect(transitions.map((r) => r.eventId).sort()).toEqual(
      eventsOf(PARENT, CHILD)
        .map((e) => (e.detail as { eventId: string }).eventId)
        .sort(),
    );
    const firstChild = rows.findIndex((r) => r.executionId === CHILD);
    expect(firstChild).toBeGreaterThan(0);
    expect(rows.slice(0, firstChild).every((r) => r.executionId === PARENT && r.depth === 0)).toBe(true);
    expect(rows.slice(firstChild).every((r) => r.executionId === CHILD && r.depth === 1)).toBe(true);
    for (const part of [rows.slice(0, firstChild), rows.slice(firstChild)]) {
      const keys = part
        .filter((r) => r.kind !== 'not-run')
        .map((r) => [Date.parse(r.observedAt ?? ''), r.sequence ?? -1] as const);
      const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expect(keys).toEqual(sorted);
    }
    expect(transitions.every((r) => r.detail?.eventId === r.eventId)).toBe(true);
    // The parent's branch never taken comes after its last transition, before the child's rows.
    expect(rows.slice(firstChild - 2, firstChild)).toMatchObject([
      { kind: 'execution', status: 'Success' },
      { kind: 'not-run', stepName: 'restoreFromBackup', status: 'Pending', eventId: null, observedAt: null },
    ]);
  });

  it('prints an aligned table with one line per transition', async () => {
    const result = await cli(['history', PARENT], env);

    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^OBSERVED\s+EXECUTION\s+KIND\s+STEP\s+FROM\s+TO\s+ALARM\s+MESSAGE$/);
    expect(lines).toHaveLength(eventsOf(PARENT, CHILD).length + neverRun(PARENT, CHILD).length + 1);
    const kindColumn = lines[0]?.indexOf('KIND') ?? -1;
    for (const line of lines.slice(1))
      expect(line.slice(kindColumn)).toMatch(/^(step|alarm|execution|not-run)\s/);
    expect(lines.find((line) => line.includes('restoreFromBackup'))).toMatch(
      /^-\s+aaaaaaaa-0000-4000-8000-000000000004\s+not-run\s+restoreFromBackup\s+-\s+Pending\s+-\s+not run$/,
    );
    expect(result.stdout).toContain('createBackupImage');
    expect(result.stdout).toContain(`↳ ${CHILD}`);
  });

  it('prints CSV a spreadsheet reads back to the same rows', async () => {
    const [csv, json] = await Promise.all([
      cli(['history', CANCELLED, '--format', 'csv'], env),
      cli(['history', CANCELLED, '--format', 'json'], env),
    ]);

    expect(csv.code).toBe(0);
    const records = parseCsv(csv.stdout);
    const rows = JSON.parse(json.stdout) as JsonRow[];
    expect(records[0]).toEqual([...HISTORY_CSV_COLUMNS]);
    expect(records).toHaveLength(rows.length + 1);
    const column = (name: string) =>
      HISTORY_CSV_COLUMNS.indexOf(name as (typeof HISTORY_CSV_COLUMNS)[number]);
    records.slice(1).forEach((record, i) => {
      expect(record[column('eventId')]).toBe(rows[i]?.eventId);
      expect(record[column('failureMessage')]).toBe(rows[i]?.failureMessage ?? '');
    });
    expect(
      rows.some((r) => r.kind === 'alarm' && r.alarmName === 'StatusCheckFailed-i-0a1b2c3d4e5f60006'),
    ).toBe(true);
  });

  it('skips a corrupt transition with one warning line and goes on', async () => {
    const result = await cli(['history', FAILED, '--format', 'json'], env);

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^step-watch: history: skipped 1 unreadable item\(s\), first: .*EVT#corrupt: detail is not valid JSON\n$/,
    );
    expect((JSON.parse(result.stdout) as JsonRow[]).length).toBe(
      eventsOf(FAILED).length + neverRun(FAILED).length,
    );
  });

  it('shows the steps a failed run never ran as not run, after its transitions, in every format', async () => {
    // Act
    const [json, table, csv, html] = await Promise.all([
      cli(['history', FAILED, '--format', 'json'], env),
      cli(['history', FAILED, '--format', 'table'], env),
      cli(['history', FAILED, '--format', 'csv'], env),
      cli(['history', FAILED, '--format', 'html'], env),
    ]);

    // Assess
    expect(neverRun(FAILED).map((s) => s.name)).toEqual(['startInstances']);
    const rows = JSON.parse(json.stdout) as JsonRow[];
    expect(rows.map((r) => `${r.kind}:${r.stepName ?? '-'}:${r.status}`)).toEqual([
      'execution:-:InProgress',
      'step:stopInstances:InProgress',
      'step:stopInstances:Failed',
      'execution:-:Failed',
      'not-run:startInstances:Pending',
    ]);
    expect(rows.at(-1)).toMatchObject({ eventId: null, observedAt: null, detail: null, depth: 0 });
    expect(table.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^-\s+\S+\s+not-run\s+startInstances\s+-\s+Pending\s+-\s+not run$/,
    );
    const records = parseCsv(csv.stdout);
    const column = (name: (typeof HISTORY_CSV_COLUMNS)[number]) => HISTORY_CSV_COLUMNS.indexOf(name);
    expect(records.at(-1)?.[column('kind')]).toBe('not-run');
    expect(records.at(-1)?.[column('stepName')]).toBe('startInstances');
    expect(records.at(-1)?.[column('observedAt')]).toBe('');
    expect(html.stdout).toContain('data-step-name="startInstances" data-label="not run"');
    expect(html.stdout).toContain('<dt>Steps not run</dt><dd>1</dd>');
  });

  it('writes an HTML timeline with one bar per step that ran and the failure message', async () => {
    const file = join(workDir, 'failed.html');
    const result = await cli(['history', FAILED, '--format', 'html', '--output', file], env);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const html = readFileSync(file, 'utf8');
    expect(html.match(/<rect class="bar/g)).toHaveLength(startedSteps(FAILED).length);
    expect(html).not.toContain('class="alarm-marker"');
    const failure = eventsOf(FAILED)
      .map((e) => (e.detail as { step?: { failureMessage?: string | null } }).step?.failureMessage)
      .find((m) => typeof m === 'string');
    expect(failure).toBeTruthy();
    expect(html).toContain(failure?.replaceAll('"', '&quot;').replaceAll("'", '&#39;') ?? '');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('prints the HTML timeline of a parent with a bar for each step that ran, of it and of its child', async () => {
    const result = await cli(['history', PARENT, '--format', 'html'], env);

    expect(result.code).toBe(0);
    expect(result.stdout.match(/<rect class="bar/g)).toHaveLength(startedSteps(PARENT, CHILD).length);
  });

  it('marks the alarm that cancelled a run on its timeline', async () => {
    const result = await cli(['history', CANCELLED, '--format', 'html'], env);

    expect(result.code).toBe(0);
    expect(result.stdout.match(/class="alarm-marker" tabindex="0" data-alarm="([^"]*)"/g)).toEqual([
      'class="alarm-marker" tabindex="0" data-alarm="StatusCheckFailed-i-0a1b2c3d4e5f60006"',
    ]);
    expect(result.stdout).toContain('data-status="Cancelled"');
  });

  it('fails with one line and exit code 1 for an execution the table does not know', async () => {
    const result = await cli(['history', 'ffffffff-0000-4000-8000-000000000009'], env);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `step-watch: history: no execution ffffffff-0000-4000-8000-000000000009 in table ${stack?.tableName}.\n`,
    );
  });

  it('refuses an unknown format with exit code 2', async () => {
    const result = await cli(['history', PARENT, '--format', 'xml'], env);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--format must be one of table, json, csv, html/);
  });

  it('lists every execution newest first, a child under its parent, with failed-step and alarm counts', async () => {
    const result = await cli(['executions', '--format', 'json', '--since', '24h'], env);

    expect(result.code).toBe(0);
    const listings = JSON.parse(result.stdout) as JsonListing[];
    expect(listings.map((l) => l.executionId).sort()).toEqual(scenario.executions.map((e) => e.id).sort());
    // Newest first, except that a child follows its parent.
    const roots = listings.filter((l) => l.parentExecutionId === null).map((l) => l.startTime);
    expect(roots).toEqual([...roots].sort().reverse());
    const parentAt = listings.findIndex((l) => l.executionId === PARENT);
    expect(listings[parentAt + 1]?.executionId).toBe(CHILD);
    expect(listings.find((l) => l.executionId === FAILED)).toMatchObject({
      status: 'Failed',
      failedSteps: 1,
      alarms: 0,
    });
    expect(listings.find((l) => l.executionId === CANCELLED)).toMatchObject({
      status: 'Cancelled',
      failedSteps: 1,
      alarms: 1,
    });
    expect(listings.find((l) => l.executionId === CHILD)).toMatchObject({
      parentExecutionId: PARENT,
      failedSteps: 0,
    });
  });

  it('filters executions by status, document prefix and start time', async () => {
    const [failed, patch, recent, table] = await Promise.all([
      cli(['executions', '--status', 'Failed', '--format', 'json'], env),
      cli(['executions', '--document', 'AWS-Patch', '--format', 'json'], env),
      cli(['executions', '--since', '30m', '--format', 'json'], env),
      cli(['executions', '--since', new Date(start + 5_000).toISOString()], env),
    ]);

    expect((JSON.parse(failed.stdout) as JsonListing[]).map((l) => l.executionId)).toEqual([FAILED]);
    expect((JSON.parse(patch.stdout) as JsonListing[]).map((l) => l.executionId)).toEqual([PARENT]);
    expect(JSON.parse(recent.stdout)).toEqual([]);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^EXECUTION\s+DOCUMENT\s+STATUS\s+STARTED\s+ENDED\s+DURATION\s+ACCOUNT\s+REGION\s+PARENT\s+FAILED STEPS\s+ALARMS$/,
    );
    // Only the executions that start at 8.2 s and 9 s are at or after 5 s.
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([
      CANCELLED,
      'aaaaaaaa-0000-4000-8000-000000000003',
    ]);
  });

  it('refuses a bad --since with exit code 2', async () => {
    const result = await cli(['executions', '--since', 'last tuesday'], env);

    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--since must be a duration like 30m, 24h or 7d, or an ISO 8601 time/);
  });

  describe('with --local', () => {
    beforeAll(async () => {
      // The local run has ended: its data directory is free to open.
      await stack?.stop();
      stack = undefined;
    });

    it('reads the persisted table of the last local run in every format', async () => {
      const localEnv = { STEP_WATCH_LOCAL_DIR: dataDir };
      // One at a time: each run opens the LevelDB directory, which takes a lock.
      for (const format of ['table', 'json', 'csv', 'html']) {
        const result = await cli(['history', PARENT, '--local', '--format', format], localEnv);

        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(CHILD);
      }
    });

    it('says to run npm start when there is no local run', async () => {
      const missing = join(workDir, 'nothing-here');
      const result = await cli(['history', PARENT, '--local'], { STEP_WATCH_LOCAL_DIR: missing });

      expect(result.code).toBe(1);
      expect(result.stderr).toBe('step-watch: no local run found: run `npm start` first\n');
      expect(existsSync(missing)).toBe(false);
    });
  });
});

describe('Function: parseSince', () => {
  const now = Date.parse('2026-11-25T12:00:00.000Z');

  it('reads durations back from now', () => {
    expect(parseSince('7d', now).toISOString()).toBe('2026-11-18T12:00:00.000Z');
    expect(parseSince('24h', now).toISOString()).toBe('2026-11-24T12:00:00.000Z');
    expect(parseSince('30m', now).toISOString()).toBe('2026-11-25T11:30:00.000Z');
  });

  it('reads ISO 8601 dates and times', () => {
    expect(parseSince('2026-11-01', now).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseSince('2026-11-01T08:30:00+02:00', now).toISOString()).toBe('2026-11-01T06:30:00.000Z');
  });

  it('throws a UsageError for anything else', () => {
    for (const bad of ['7', 'd7', '7 days', 'yesterday', '2026-13-45', '']) {
      expect(() => parseSince(bad, now)).toThrow(UsageError);
    }
  });
});

describe('Class: Progress', () => {
  function progressOn(isTTY: boolean) {
    let now = 0;
    const written: string[] = [];
    const progress = new Progress(
      'history',
      { isTTY, write: (text: string) => written.push(text) },
      () => now,
    );
    return { progress, written, advance: (ms: number) => (now += ms) };
  }

  it('draws items read on one line once a read is slow, and clears it at the end', () => {
    const { progress, written, advance } = progressOn(true);
    progress.update(10);
    advance(500);
    progress.update(2_000);
    advance(50);
    progress.update(2_100);
    progress.done();
    expect(written).toEqual(['\r\x1b[Khistory: 2000 items read…', '\r\x1b[K']);
  });

  it('writes nothing when stderr is not a terminal', () => {
    const { progress, written, advance } = progressOn(false);
    advance(5_000);
    progress.update(1);
    progress.done();
    expect(written).toEqual([]);
  });
});
