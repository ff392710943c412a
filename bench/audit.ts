// The audit bench (`audit` in `npm run bench`): `step-watch history` of a 1,000-target rate-control run and a 50-iteration loop, in every format, and its page in headless Chromium.
//
// The runs go through the real poller over the local stack (SSM simulator, dynalite, EventBridge
// recorder) on a virtual clock, one cycle a minute as deployed, so the table holds what a deployed
// poller would have written. Then `history` runs in this process exactly as the CLI runs it (the
// command's own function, writing to a file), timed per format; the HTML is opened in headless
// Chromium and timed to its load event. The notifications the stack would have sent for the
// rate-control run come from the notify function's own core (`simulateNotifications`).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyCommand } from '../cli/commands/history';
import { DEFAULT_DIGEST_INTERVAL_SECONDS, simulateNotifications } from '../lambda/core/notifications/digest';
import { FAILURE_STATUSES } from '../lambda/core/status';
import { runPollCycle } from '../lambda/cycle/poll-cycle';
import { createPoller } from '../lambda/runtime/poller';
import { LOCAL_ACCOUNT, LOCAL_REGION, startLocalStack } from '../sandbox/local-stack';
import { loopItems, loopRun } from '../sandbox/loop-run';
import { rateControlRun, rateControlTargets } from '../sandbox/rate-control';
import { parseScenario, scenarioEnd } from '../sandbox/scenario';
import { launchChromium } from './chromium';
import { BenchError } from './errors';

/** Targets of the rate-control run, how many fail, and how many run at once: 20 waves of 50, about 40 minutes. */
const TARGETS = 1000;
const FAILED_TARGETS = 100;
const MAX_CONCURRENCY = 50;
/** Iterations of the loop run, and the one that fails. */
const ITERATIONS = 50;
const FAILED_ITERATION = 17;
/** Seconds between poll cycles: the deployed schedule. */
const PERIOD_SECONDS = 60;
/** Times each figure is measured; the median is reported. */
const REPEATS = 3;
/** The issue's targets. */
const HISTORY_TARGET_MS = 2000;
const PAGE_LOAD_TARGET_MS = 1000;

const PARENT_ID = 'a0d17000-0000-4000-8000-000000000001';
const LOOP_ID = 'a0d17000-0000-4000-8000-000000000002';
const FORMATS = ['table', 'json', 'csv', 'html'] as const;

/** What one run's history costs. */
export interface AuditRunFigures {
  readonly executionId: string;
  /** Events the poller published for the run (transitions recorded). */
  readonly events: number;
  /** Median ms of `step-watch history` per format, from the command's start to its file written. */
  readonly historyMs: Readonly<Record<(typeof FORMATS)[number], number>>;
  /** Bytes written per format. */
  readonly outputBytes: Readonly<Record<(typeof FORMATS)[number], number>>;
  /** Median ms from handing the page to headless Chromium to its load event. */
  readonly pageLoadMs: number;
}

/** The `audit` key of `npm run bench`. */
export interface AuditReport {
  readonly rateControl: AuditRunFigures & { readonly targets: number; readonly failedTargets: number };
  readonly loop: AuditRunFigures & { readonly iterations: number };
  /** Poll cycles run, and wall ms they took (setting the table up, not measured against a target). */
  readonly pollCycles: number;
  readonly pollWallMs: number;
  /**
   * Messages the notification rule and digest would send for the 40-minute rate-control run
   * (`simulateNotifications`, default digest interval, failure statuses), and their kinds.
   */
  readonly notifications: { readonly messages: number; readonly kinds: readonly string[] };
  readonly targets: {
    readonly historyAtMost2sEveryFormat: boolean;
    readonly pageLoadAtMost1s: boolean;
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Runs `step-watch history` in this process as the CLI would, writing to `file`; returns its ms. */
async function timeHistory(
  executionId: string,
  format: string,
  table: string,
  file: string,
): Promise<number> {
  const started = performance.now();
  await historyCommand([executionId, '--format', format, '--table', table, '--output', file]);
  return performance.now() - started;
}

async function measureRun(
  executionId: string,
  events: number,
  table: string,
  dir: string,
  pageLoad: (html: string) => Promise<number>,
): Promise<AuditRunFigures> {
  const historyMs = {} as Record<(typeof FORMATS)[number], number>;
  const outputBytes = {} as Record<(typeof FORMATS)[number], number>;
  for (const format of FORMATS) {
    const file = join(dir, `${executionId}.${format}`);
    const times: number[] = [];
    for (let i = 0; i < REPEATS; i++) times.push(await timeHistory(executionId, format, table, file));
    historyMs[format] = Math.round(median(times));
    outputBytes[format] = (await stat(file)).size;
  }
  const html = await readFile(join(dir, `${executionId}.html`), 'utf8');
  const loads: number[] = [];
  for (let i = 0; i < REPEATS; i++) loads.push(await pageLoad(html));
  return { executionId, events, historyMs, outputBytes, pageLoadMs: Math.round(median(loads)) };
}

/**
 * Polls a 1,000-target rate-control run (100 targets failing, 50 at once, about 40 minutes) and a
 * 50-iteration loop run to their end, then measures `history` of each in every format and its page.
 */
export async function measureAudit(): Promise<AuditReport> {
  const failing = new Set(
    Array.from({ length: FAILED_TARGETS }, (_, i) => i * (TARGETS / FAILED_TARGETS) + 7),
  );
  const targets = rateControlTargets(TARGETS, 19, { minSeconds: 100, maxSeconds: 140 }).map((target, i) =>
    failing.has(i) ? { ...target, outcome: 'Failed' } : target,
  );
  const items = loopItems(ITERATIONS).map((value, i) =>
    i === FAILED_ITERATION - 1 ? { value, outcome: 'Failed' } : value,
  );
  const scenario = parseScenario({
    name: 'audit',
    executions: [
      ...rateControlRun({ parentId: PARENT_ID, targets, maxConcurrency: MAX_CONCURRENCY }),
      loopRun({ executionId: LOOP_ID, items, stepSeconds: 3 }),
    ],
  });
  const startEpochMs = Date.parse('2026-11-25T06:00:00.000Z');
  let now = startEpochMs;
  const dir = await mkdtemp(join(tmpdir(), 'step-watch-audit-'));
  const stack = await startLocalStack({ scenario, startEpochMs, clock: () => now });
  const saved = { ...process.env };
  const browser = await launchChromium();
  try {
    const poller = createPoller(
      {
        tableName: stack.tableName,
        eventBusName: 'audit-bus',
        eventSource: 'ssm-step-watch',
        historyRetentionDays: 365,
        maxEntryBytes: 262_144,
        ssmDescribeTps: 1000,
      },
      { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
      { clients: stack.clients, timer: { now: () => now, sleep: async () => {} } },
    );
    const end = scenarioEnd(scenario) + 2 * PERIOD_SECONDS;
    const polling = performance.now();
    let cycles = 0;
    for (let t = 0; t <= end; t += PERIOD_SECONDS) {
      now = startEpochMs + t * 1000;
      await runPollCycle(poller.deps, poller.options);
      cycles++;
    }
    const pollWallMs = Math.round(performance.now() - polling);
    const events = stack.recorder.events();
    const eventsOf = (executionId: string, parentToo: boolean): number =>
      events.filter((e) => {
        const detail = e.detail as { executionId?: string; parentExecutionId?: string | null };
        return detail.executionId === executionId || (parentToo && detail.parentExecutionId === executionId);
      }).length;

    // The CLI resolves the table as it would in a shell: endpoint, region and (any) credentials from the environment.
    Object.assign(process.env, stack.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'bench',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'bench',
    });
    const pageLoad = async (html: string): Promise<number> => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        const started = performance.now();
        await page.setContent(html, { waitUntil: 'load' });
        return performance.now() - started;
      } finally {
        await page.close();
      }
    };
    const rateControl = await measureRun(
      PARENT_ID,
      eventsOf(PARENT_ID, true),
      stack.tableName,
      dir,
      pageLoad,
    );
    const loop = await measureRun(LOOP_ID, eventsOf(LOOP_ID, false), stack.tableName, dir, pageLoad);

    // The rate-control run's events only: the loop run is a run of its own, with messages of its own.
    const ofRateControl = events.filter((e) => {
      const detail = e.detail as { executionId?: string; parentExecutionId?: string | null };
      return detail.executionId === PARENT_ID || detail.parentExecutionId === PARENT_ID;
    });
    const sent = simulateNotifications(
      ofRateControl.map((e) => ({ at: e.receivedAt, detailType: e.detailType, detail: e.detail })),
      {
        statuses: FAILURE_STATUSES,
        digestIntervalMs: DEFAULT_DIGEST_INTERVAL_SECONDS * 1000,
        perChildMessages: false,
      },
    );
    const runs = [rateControl, loop];
    return {
      rateControl: { ...rateControl, targets: TARGETS, failedTargets: FAILED_TARGETS },
      loop: { ...loop, iterations: ITERATIONS },
      pollCycles: cycles,
      pollWallMs,
      notifications: { messages: sent.length, kinds: sent.map((s) => s.message.kind) },
      targets: {
        historyAtMost2sEveryFormat: runs.every((run) =>
          Object.values(run.historyMs).every((ms) => ms <= HISTORY_TARGET_MS),
        ),
        pageLoadAtMost1s: runs.every((run) => run.pageLoadMs <= PAGE_LOAD_TARGET_MS),
      },
    };
  } catch (error) {
    throw new BenchError('the audit bench did not complete', { cause: error });
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await browser.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Prints the audit report in a few lines. */
export function printAudit(report: AuditReport): AuditReport {
  const line = (label: string, run: AuditRunFigures): string =>
    `  ${label}: ${run.events} events; history ${FORMATS.map((f) => `${f} ${run.historyMs[f]} ms`).join(', ')}; ` +
    `page ${Math.round(run.outputBytes.html / 1024)} KB, loads in ${run.pageLoadMs} ms`;
  console.log(
    `\nAudit (issue 19): step-watch history after ${report.pollCycles} one-minute cycles of the real poller (${report.pollWallMs} ms wall):\n` +
      `${line(`${report.rateControl.targets}-target rate-control run, ${report.rateControl.failedTargets} failed`, report.rateControl)}\n` +
      `${line(`${report.loop.iterations}-iteration loop run`, report.loop)}\n` +
      `  notifications for the rate-control run: ${report.notifications.messages} (${report.notifications.kinds.join(', ')})\n` +
      `  targets ${JSON.stringify(report.targets)}`,
  );
  return report;
}
