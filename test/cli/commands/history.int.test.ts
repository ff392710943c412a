// Over the wire: the demo scenario through the sandbox and the real poller, then `history` and `executions` as a user runs them.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSince } from '../../../cli/commands/executions';
import { UsageError } from '../../../cli/errors';
import { CSV_SECTIONS, HISTORY_CSV_COLUMNS } from '../../../cli/history/format';
import type { TimelineData, TimelineNode } from '../../../cli/history/timeline';
import { Progress } from '../../../cli/output';
import { runPollCycle } from '../../../lambda/cycle/poll-cycle';
import { createPoller } from '../../../lambda/runtime/poller';
import type { RecordedEvent } from '../../../sandbox/event-recorder';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalStack, startLocalStack } from '../../../sandbox/local-stack';
import { loopItems, loopRun } from '../../../sandbox/loop-run';
import { rateControlRun, rateControlTargets } from '../../../sandbox/rate-control';
import { demoScenarioPath, loadScenarioFile, type Scenario, scenarioEnd } from '../../../sandbox/scenario';
import { type Harness, startHarness } from '../../helpers/harness';
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

/** The rows of `history --format json`: the object's `rows`. */
function jsonRows(stdout: string): JsonRow[] {
  return (JSON.parse(stdout) as { rows: JsonRow[] }).rows;
}

/** The records of one section of `history --format csv`: those after the record naming it, to the empty line. */
function csvSection(stdout: string, name: string): string[][] {
  const records = parseCsv(stdout);
  const start = records.findIndex((r) => r.length === 1 && r[0] === name);
  if (start < 0) return [];
  const end = records.findIndex((r, i) => i > start && r.length === 1 && r[0] === '');
  return records.slice(start + 1, end < 0 ? undefined : end);
}

/** The lines of `history`'s table under `Transitions:`. */
function transitionLines(stdout: string): string[] {
  return (stdout.split('\nTransitions:\n')[1] ?? '').trimEnd().split('\n');
}

/** Every row of the HTML page's run tree (its embedded data), depth first. */
function pageNodes(html: string): TimelineNode[] {
  const json =
    /<script type="application\/json" id="run-data">([^<]*)<\/script>/.exec(html)?.[1] ?? '{"nodes":[]}';
  const flat: TimelineNode[] = [];
  const walk = (nodes: readonly TimelineNode[]): void => {
    for (const node of nodes) {
      flat.push(node);
      walk(node.c ?? []);
    }
  };
  walk((JSON.parse(json) as TimelineData).nodes);
  return flat;
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
    const rows = jsonRows(result.stdout);
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
    expect(result.stdout).toMatch(/^Execution {2}aaaaaaaa-0000-4000-8000-000000000004 /);
    const lines = transitionLines(result.stdout);
    expect(lines[0]).toMatch(
      /^OBSERVED\s+EXECUTION\s+TARGET\s+KIND\s+STEP\s+FROM\s+TO\s+DURATION\s+ALARM\s+MESSAGE$/,
    );
    expect(lines).toHaveLength(eventsOf(PARENT, CHILD).length + neverRun(PARENT, CHILD).length + 1);
    const kindColumn = lines[0]?.indexOf('KIND') ?? -1;
    for (const line of lines.slice(1))
      expect(line.slice(kindColumn)).toMatch(/^(step|alarm|execution|not-run)\s/);
    expect(lines.find((line) => line.includes('restoreFromBackup'))).toMatch(
      /^-\s+aaaaaaaa-0000-4000-8000-000000000004\s+-\s+not-run\s+restoreFromBackup\s+-\s+Pending\s+-\s+-\s+not run$/,
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
    const records = csvSection(csv.stdout, CSV_SECTIONS.transitions);
    const rows = jsonRows(json.stdout);
    expect(records[0]).toEqual([...HISTORY_CSV_COLUMNS]);
    expect(records).toHaveLength(rows.length + 1);
    const column = (name: string) =>
      HISTORY_CSV_COLUMNS.indexOf(name as (typeof HISTORY_CSV_COLUMNS)[number]);
    records.slice(1).forEach((record, i) => {
      expect(record[column('eventId')]).toBe(rows[i]?.eventId);
      expect(record[column('failureMessage')]).toBe(rows[i]?.failureMessage?.replaceAll('\n', ' ') ?? '');
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
    expect(jsonRows(result.stdout).length).toBe(eventsOf(FAILED).length + neverRun(FAILED).length);
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
    const rows = jsonRows(json.stdout);
    expect(rows.map((r) => `${r.kind}:${r.stepName ?? '-'}:${r.status}`)).toEqual([
      'execution:-:InProgress',
      'step:stopInstances:InProgress',
      'step:stopInstances:Failed',
      'execution:-:Failed',
      'not-run:startInstances:Pending',
    ]);
    expect(rows.at(-1)).toMatchObject({ eventId: null, observedAt: null, detail: null, depth: 0 });
    expect(table.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^-\s+\S+\s+not-run\s+startInstances\s+-\s+Pending\s+-\s+-\s+not run$/,
    );
    const records = csvSection(csv.stdout, CSV_SECTIONS.transitions);
    const column = (name: (typeof HISTORY_CSV_COLUMNS)[number]) => HISTORY_CSV_COLUMNS.indexOf(name);
    expect(records.at(-1)?.[column('kind')]).toBe('not-run');
    expect(records.at(-1)?.[column('stepName')]).toBe('startInstances');
    expect(records.at(-1)?.[column('observedAt')]).toBe('');
    expect(pageNodes(html.stdout).filter((n) => n.k === 'r')).toEqual([
      { n: 'startInstances', k: 'r', s: 'not run' },
    ]);
    expect(html.stdout).toMatch(/<dt>Steps<\/dt><dd>\d+ \([^)]*1 <bdi>not run<\/bdi>/);
  });

  it('writes an HTML timeline with one bar per step that ran and the failure message', async () => {
    const file = join(workDir, 'failed.html');
    const result = await cli(['history', FAILED, '--format', 'html', '--output', file], env);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const html = readFileSync(file, 'utf8');
    expect(pageNodes(html).filter((n) => n.k === 's' && n.b !== undefined)).toHaveLength(
      startedSteps(FAILED).length,
    );
    expect(html).not.toContain('id="alarms"');
    const failure = eventsOf(FAILED)
      .map((e) => (e.detail as { step?: { failureMessage?: string | null } }).step?.failureMessage)
      .find((m) => typeof m === 'string');
    expect(failure).toBeTruthy();
    expect(html).toContain(failure?.replaceAll('"', '&quot;').replaceAll("'", '&#39;') ?? '');
    // No resource is fetched: no src, no url(); the only links go to the execution's console page.
    expect(html).not.toMatch(/\bsrc=|url\(/);
    const links = html.match(/href="[^"]*"/g) ?? [];
    expect(links.length).toBeGreaterThan(0);
    expect(
      links.every((link) => link.startsWith(`href="https://${LOCAL_REGION}.console.aws.amazon.com/`)),
    ).toBe(true);
  });

  it('prints the HTML timeline of a parent with a bar for each step that ran, of it and of its child', async () => {
    const result = await cli(['history', PARENT, '--format', 'html'], env);

    expect(result.code).toBe(0);
    // The parent's step that started the child is the child's row: one row per step that ran.
    const rows = pageNodes(result.stdout).filter((n) => (n.k === 's' || n.k === 't') && n.b !== undefined);
    expect(rows).toHaveLength(startedSteps(PARENT, CHILD).length);
  });

  it('marks the alarm that cancelled a run on its timeline', async () => {
    const result = await cli(['history', CANCELLED, '--format', 'html'], env);

    expect(result.code).toBe(0);
    const alarms = /<section id="alarms">.*?<\/section>/s.exec(result.stdout)?.[0] ?? '';
    expect(alarms).toContain('<bdi>StatusCheckFailed-i-0a1b2c3d4e5f60006</bdi>');
    expect(result.stdout).toContain('<dt>Alarms</dt><dd>1</dd>');
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

  it('refuses a filter with --format html, which holds the whole run, with exit code 2', async () => {
    const result = await cli(['history', PARENT, '--format', 'html', '--failed'], env);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'step-watch: history: --format html holds the whole run (narrow it with its "Failed only" box and search); drop --failed, --status, --step and --target.\n',
    );
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

describe('Command: step-watch history of a rate-control run and a loop run (real poller over the wire)', () => {
  const PARENT_RC = 'cccccccc-0000-4000-8000-000000000001';
  const LOOP = 'cccccccc-0000-4000-8000-000000000002';
  const targets = rateControlTargets(12, 7, { minSeconds: 4, maxSeconds: 9 }).map((target, i) =>
    [2, 5, 9].includes(i) ? { ...target, outcome: 'Failed' } : target,
  );
  const failedNames = [2, 5, 9].map((i) => targets[i]?.name ?? '');
  const items = loopItems(4).map((value, i) => (i === 2 ? { value, outcome: 'Failed' } : value));
  let harness: Harness | undefined;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    // Prepare: the runs, polled every simulated second until they are over.
    const executions = [
      ...rateControlRun({ parentId: PARENT_RC, targets, maxConcurrency: 4 }),
      loopRun({ executionId: LOOP, items }),
    ];
    harness = await startHarness(executions);
    const end = Math.ceil(Math.max(...executions.map((e) => Math.max(...e.timeline.map((t) => t.at)))));
    for (let t = 0; t <= end + 2; t++) {
      harness.at(t);
      await harness.cycle();
    }
    env = { ...harness.stack.env, TABLE_NAME: harness.stack.tableName, AWS_REGION: LOCAL_REGION };
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('opens the table on the summary: targets by outcome, each failed target with its whole message', async () => {
    const result = await cli(['history', PARENT_RC], env);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [summary = '', rest = ''] = result.stdout.split('\nTargets (');
    expect(summary).toMatch(new RegExp(`^Execution {2}${PARENT_RC} {2}AWS-RestartEC2Instance`));
    expect(summary).toMatch(/^Status +Failed$/m);
    expect(summary).toMatch(new RegExp(`^Account +${LOCAL_ACCOUNT}$`, 'm'));
    expect(summary).toMatch(new RegExp(`^Region +${LOCAL_REGION}$`, 'm'));
    expect(summary).toMatch(/^Targets +12: 9 Success, 3 Failed$/m);
    expect(summary).toContain('Failures (3):');
    for (const name of failedNames)
      expect(summary).toMatch(new RegExp(`${name} +Failed +stopInstances +Step stopInstances failed\\.`));
    // The targets table lists the failed targets first.
    const targetRows = rest.split('\n').slice(2, 14);
    expect(
      targetRows
        .slice(0, 3)
        .map((line) => line.split(/\s+/)[0])
        .sort(),
    ).toEqual([...failedNames].sort());
    expect(targetRows.slice(3).every((line) => / Success /.test(line))).toBe(true);
  });

  it('narrows to the failures with --failed, and reads --status in any case, several at once', async () => {
    const [failed, upper, several] = await Promise.all([
      cli(['history', PARENT_RC, '--failed', '--format', 'json'], env),
      cli(['history', PARENT_RC, '--status', 'FAILED', '--format', 'json'], env),
      cli(
        ['history', PARENT_RC, '--status', 'failed,timedOut', '--status', 'cancelled', '--format', 'json'],
        env,
      ),
    ]);

    expect(failed.code).toBe(0);
    const report = JSON.parse(failed.stdout) as {
      format: string;
      summary: { failures: { target: string; failureMessage: string }[]; targets: { total: number } };
      targets: { target: string; outcome: string }[];
      rows: JsonRow[];
    };
    expect(report.format).toBe('step-watch.history/2');
    expect(report.summary.targets.total).toBe(12);
    expect(report.summary.failures.map((f) => f.target).sort()).toEqual([...failedNames].sort());
    expect(report.targets.map((t) => t.outcome)).toEqual(['Failed', 'Failed', 'Failed']);
    expect(report.rows.length).toBeGreaterThan(0);
    expect(
      report.rows.every((r) => r.status === 'Failed' || r.kind === 'step' || r.kind === 'execution'),
    ).toBe(true);
    // Every row is about a step or execution that ended Failed: the parent, its three steps, three children and their steps.
    expect(new Set(report.rows.map((r) => r.executionId)).size).toBe(4);
    expect(JSON.parse(upper.stdout).rows).toEqual(report.rows);
    expect(JSON.parse(several.stdout).rows).toEqual(report.rows);
  });

  it('refuses an unknown status with one line naming the known ones, and exit code 2', async () => {
    const result = await cli(['history', PARENT_RC, '--status', 'broken'], env);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(
      '--status "broken" is not a status SSM uses; known: Pending, InProgress, Waiting, Success',
    );
  });

  it('shows one target with --target, and one step across targets with --step', async () => {
    const name = failedNames[0] ?? '';
    const [target, step, unknown] = await Promise.all([
      cli(['history', PARENT_RC, '--target', name, '--format', 'json'], env),
      cli(['history', PARENT_RC, '--step', 'startInstances', '--format', 'json'], env),
      cli(['history', PARENT_RC, '--target', 'i-nothere'], env),
    ]);

    const rows = jsonRows(target.stdout);
    expect(rows.filter((r) => r.executionId === PARENT_RC).every((r) => r.stepName === name)).toBe(true);
    expect(new Set(rows.filter((r) => r.depth === 1).map((r) => r.executionId)).size).toBe(1);
    expect(
      rows.filter((r) => r.depth === 1).every((r) => (r as JsonRow & { target: string }).target === name),
    ).toBe(true);
    const stepRows = jsonRows(step.stdout);
    expect(stepRows.length).toBeGreaterThan(0);
    expect(stepRows.every((r) => r.stepName === 'startInstances')).toBe(true);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^step-watch: history: no target "i-nothere" in this run; targets include /,
    );
  });

  it('writes CSV a spreadsheet reads: the summary, the failures and the targets failed first, then the rows', async () => {
    const result = await cli(['history', PARENT_RC, '--format', 'csv'], env);

    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('Summary\r\nfield,value\r\n')).toBe(true);
    const summary = Object.fromEntries(csvSection(result.stdout, CSV_SECTIONS.summary).slice(1));
    expect(summary).toMatchObject({
      status: 'Failed',
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      targets: '12',
    });
    expect(summary['targets Failed']).toBe('3');
    const failures = csvSection(result.stdout, CSV_SECTIONS.failures);
    expect(failures).toHaveLength(4);
    const targetRecords = csvSection(result.stdout, CSV_SECTIONS.targets);
    expect(targetRecords.slice(1, 4).map((r) => r[1])).toEqual(['Failed', 'Failed', 'Failed']);
    expect(csvSection(result.stdout, CSV_SECTIONS.transitions)[0]).toEqual([...HISTORY_CSV_COLUMNS]);
  });

  it('draws one collapsed row per target in HTML, failed first, each with its child steps below it', async () => {
    const result = await cli(['history', PARENT_RC, '--format', 'html'], env);

    expect(result.code).toBe(0);
    const json =
      /<script type="application\/json" id="run-data">([^<]*)<\/script>/.exec(result.stdout)?.[1] ?? '';
    const data = JSON.parse(json) as TimelineData;
    expect(data.nodes.map((n) => n.k)).toEqual(Array(12).fill('t'));
    expect(
      data.nodes
        .slice(0, 3)
        .map((n) => n.n)
        .sort(),
    ).toEqual([...failedNames].sort());
    expect(data.nodes.every((n) => n.c?.map((s) => s.n).join() === 'stopInstances,startInstances')).toBe(
      true,
    );
    expect(result.stdout.indexOf('id="failures"')).toBeLessThan(result.stdout.indexOf('id="run"'));
    expect(result.stdout).toContain('<h2>Failures (3)</h2>');
  });

  it('groups a loop run’s steps under their loop step by iteration, with the iterator value', async () => {
    const [json, table, html] = await Promise.all([
      cli(['history', LOOP, '--format', 'json'], env),
      cli(['history', LOOP], env),
      cli(['history', LOOP, '--format', 'html'], env),
    ]);

    const rows = jsonRows(json.stdout) as (JsonRow & {
      parentStepName: string | null;
      iteration: number | null;
      iteratorValue: string | null;
    })[];
    const inner = rows.filter((r) => r.parentStepName !== null);
    expect(new Set(inner.map((r) => r.iteratorValue))).toEqual(new Set(loopItems(4)));
    const first = inner[0];
    expect(table.stdout).toContain(
      `${first?.parentStepName}[${first?.iteration} ${first?.iteratorValue}] › ${first?.stepName}`,
    );
    expect(table.stdout).toContain('Failures (1):');
    expect(html.stderr).toBe('');
    const data = JSON.parse(/id="run-data">([^<]*)</.exec(html.stdout)?.[1] ?? '') as TimelineData;
    const loop = data.nodes.find((n) => n.k === 'l');
    expect(loop?.c?.map((n) => n.n)).toEqual(
      loopItems(4).map(
        (value, i) => `#${inner.find((r) => r.iteratorValue === value)?.iteration ?? i} ${value}`,
      ),
    );
    expect(loop?.c?.filter((n) => n.f === 1)).toHaveLength(1);
  });
});
