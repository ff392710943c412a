// The fleet-scale stress run (`stress` in `npm run bench`, and the over-the-wire never-stuck tests): a huge execution, a rate-control parent, a backlog and small executions on the real poll cycle and local stack, at the default 2 SSM calls a second, with cycles killed near their deadline.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { KEYS } from '../lambda/adapters/dynamodb/schema';
import { DynamoTable } from '../lambda/adapters/dynamodb/table';
import type { Timer } from '../lambda/adapters/token-bucket';
import { STEP_PAGE_SIZE } from '../lambda/core/read-plan';
import { type CycleSummary, runPollCycle } from '../lambda/cycle/poll-cycle';
import { createPoller } from '../lambda/runtime/poller';
import type { RecordedEvent } from '../sandbox/event-recorder';
import { LOCAL_ACCOUNT, LOCAL_REGION, startLocalStack } from '../sandbox/local-stack';
import { rateControlRun } from '../sandbox/rate-control';
import { parseScenario, type ScenarioExecution } from '../sandbox/scenario';
import { sequentialRun } from '../sandbox/sequential-runbook';
import { idFromSeed, type SsmBehaviour } from '../sandbox/ssm-behaviour';
import type { GroundTruthEntry } from '../sandbox/ssm-simulator';
import { BenchError } from './errors';

/** What runs in one stress run. */
export interface StressShape {
  /** Steps of the huge sequential execution (0: none); it starts at the scenario start, a step each 0.1 s. */
  readonly bigSteps: number;
  /** Targets of a rate-control parent started with the huge execution (0: none). */
  readonly rateControlTargets: number;
  /**
   * Executions that start (and end) while the poller is down, after a first cycle at the scenario
   * start; the poller comes back {@link StressShape.firstCycleAt} seconds in (0: none).
   */
  readonly backlog: number;
  /** Small executions that each change once a period while the rest is read. */
  readonly small: number;
  /** Seconds after the scenario start of the first measured cycle. */
  readonly firstCycleAt: number;
  /** The poller's SSM calls a second (its token bucket). @default 2 */
  readonly tps?: number;
  /** SSM's own quota in the simulator; it answers ThrottlingException past it. @default 3 */
  readonly throttleTps?: number;
  /** @default 60 */
  readonly periodSeconds?: number;
  /** Seconds a cycle reads before its deadline (the Lambda's 55 s less the 10 s reserve). @default 45 */
  readonly budgetSeconds?: number;
  /**
   * Every how many cycles one dies: at a moment drawn between halfway through its budget and its
   * deadline, every later call to SSM, the table or the bus fails, so it never saves what it had left
   * (its poller state among it). 0: none. @default 0
   */
  readonly killEvery?: number;
  readonly behaviour?: Partial<SsmBehaviour>;
  /** Cycles run at most before the run gives up. */
  readonly maxCycles: number;
  /** @default 1 */
  readonly seed?: number;
  /** Called after each measured cycle with its summary (a trace for whoever investigates a shape). */
  readonly onCycle?: (
    cycle: number,
    summary: CycleSummary,
    at: number,
    ssmCalls: Record<string, number>,
  ) => void;
}

/** What one stress run measured. */
export interface StressFigures {
  readonly bigExecutionSteps: number;
  readonly rateControlTargets: number;
  readonly backlogExecutions: number;
  readonly smallExecutions: number;
  readonly cycles: number;
  readonly killedCycles: number;
  /** Cycles until the huge execution's first complete read was saved (null: no huge execution). */
  readonly cyclesToFirstCompleteRead: number | null;
  /** Cycles until every backlog execution's final status was on the bus (null: no backlog). */
  readonly cyclesToDrainBacklog: number | null;
  /** The SSM calls the backlog needs at least (one listing page per 50, one step page per execution). */
  readonly backlogCallsNeeded: number | null;
  /**
   * cyclesToDrainBacklog / ((backlogCallsNeeded + otherCallsWhileDraining) / (tps × budget)): 1 is
   * every call of every cycle's budget spent on what was needed.
   */
  readonly drainRatioToBound: number | null;
  /** SSM calls for everything but the backlog while it drained (the small executions' reads, listings). */
  readonly otherCallsWhileDraining: number | null;
  /** SSM change → event on the bus, p99, for the small executions while the rest is read. */
  readonly otherExecutionsLatencyP99Seconds: number | null;
  readonly otherExecutionsLatencyMaxSeconds: number | null;
  /** The largest poller-state or execution-snapshot item seen, in bytes (as JSON). */
  readonly maxStateItemBytes: number;
  /** Final statuses (steps and executions) SSM reached that never reached the bus. */
  readonly lost: number;
  /** Deliveries of an eventId already delivered. */
  readonly duplicates: number;
  /** Deliveries of a step status that SSM's order of that step contradicts. */
  readonly outOfOrder: number;
  /** Executions whose final status came before one of their steps' events. */
  readonly finalBeforeSteps: number;
  readonly events: number;
  readonly ssmCalls: number;
  /** Whether the run got everything to the bus within `maxCycles`. */
  readonly finished: boolean;
  readonly wallSeconds: number;
}

/** A cycle's death: every port call after the moment throws this. */
class CycleKilled extends BenchError {}

/** Deterministic numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The executions of a shape, and which are which. */
function scenarioOf(shape: StressShape): {
  executions: ScenarioExecution[];
  big: string | null;
  backlog: Set<string>;
  small: Set<string>;
} {
  const executions: ScenarioExecution[] = [];
  let big: string | null = null;
  if (shape.bigSteps > 0) {
    big = idFromSeed('stress/big');
    executions.push(sequentialRun({ executionId: big, steps: shape.bigSteps, stepSeconds: 0.1, startAt: 1 }));
  }
  if (shape.rateControlTargets > 0) {
    executions.push(
      ...rateControlRun({
        parentId: idFromSeed('stress/rate-control'),
        targets: Array.from({ length: shape.rateControlTargets }, (_, i) => ({
          name: `i-${String(i).padStart(8, '0')}`,
          durationSeconds: 20,
        })),
        maxConcurrency: 100,
        startAt: 1,
      }),
    );
  }
  const backlog = new Set<string>();
  const outage = Math.max(1, shape.firstCycleAt - 120);
  for (let i = 0; i < shape.backlog; i++) {
    const id = idFromSeed(`stress/backlog/${i}`);
    backlog.add(id);
    const startAt = 60 + (i * (outage - 60)) / shape.backlog;
    executions.push(
      sequentialRun({
        executionId: id,
        steps: 2,
        stepSeconds: 5,
        startAt: Math.round(startAt * 1000) / 1000,
      }),
    );
  }
  const small = new Set<string>();
  const period = shape.periodSeconds ?? 60;
  for (let i = 0; i < shape.small; i++) {
    const id = idFromSeed(`stress/small/${i}`);
    small.add(id);
    // A step each period, started spread over the period, running well past the measured cycles.
    executions.push(
      sequentialRun({
        executionId: id,
        steps: 30,
        stepSeconds: period,
        startAt: shape.firstCycleAt - period + (i * period) / Math.max(1, shape.small),
      }),
    );
  }
  return { executions, big, backlog, small };
}

/**
 * Runs the real poll cycle, a cycle a period, over the local stack on a virtual clock that moves
 * only by the poller's token bucket (so SSM calls cost their time at the configured rate), until every
 * final status SSM reached is on the bus or `maxCycles` ran. Then checks what the bus got against
 * SSM's ground truth.
 */
export async function runStress(shape: StressShape): Promise<StressFigures> {
  const wallStart = performance.now();
  const t0 = Date.parse('2026-11-25T00:00:00.000Z');
  const tps = shape.tps ?? 2;
  const period = (shape.periodSeconds ?? 60) * 1000;
  const budget = (shape.budgetSeconds ?? 45) * 1000;
  const draw = random(shape.seed ?? 1);
  let now = t0;
  const timer: Timer = {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
  const { executions, big, backlog, small } = scenarioOf(shape);
  const stack = await startLocalStack({
    scenario: parseScenario({ name: 'stress', executions }),
    startEpochMs: t0,
    clock: () => now,
    throttleTps: shape.throttleTps ?? 3,
    throttleOnClock: true,
    maxAttempts: 3,
    fresh: true,
    ...(shape.behaviour !== undefined && { behaviour: shape.behaviour }),
  });
  try {
    const poller = createPoller(
      {
        tableName: stack.tableName,
        eventBusName: 'stress-bus',
        eventSource: 'ssm-step-watch',
        historyRetentionDays: 30,
        maxEntryBytes: 262_144,
        ssmDescribeTps: tps,
      },
      { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
      { clients: stack.clients, timer },
    );
    const table = new DynamoTable({ client: stack.clients.dynamodb, tableName: stack.tableName });
    const itemBytes = async (pk: string, sk: string): Promise<number> => {
      const output = await table.call('GetItem', (doc) =>
        doc.send(new GetCommand({ TableName: stack.tableName, Key: { pk, sk } })),
      );
      return output.Item ? Buffer.byteLength(JSON.stringify(output.Item)) : 0;
    };
    const shard = poller.options.shard;
    // SSM calls that served anything but the backlog, while it drains: the bound counts them as needed too.
    let otherCalls = 0;
    let drainingCalls = true;
    const source = new Proxy(poller.deps.source, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const request = args[0] as { executionId?: string } | undefined;
          const forBacklog =
            property === 'listStartedPage' ||
            (property === 'readStepPage' && backlog.has(request?.executionId ?? ''));
          const call = ['listInFlight', 'listStartedPage', 'describeExecutions', 'readStepPage'];
          if (drainingCalls && !forBacklog && call.includes(String(property))) otherCalls++;
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
    const baseDeps = { ...poller.deps, source };
    const watched = [big, idFromSeed('stress/rate-control')].filter((id): id is string => id !== null);

    // The backlog's poller was up once at the start, then down until the first measured cycle.
    if (backlog.size > 0) {
      now = t0;
      await runPollCycle(poller.deps, { ...poller.options, deadline: now + budget });
    }

    let cycles = 0;
    let killed = 0;
    let firstComplete: number | null = null;
    let drained: number | null = null;
    let maxStateItemBytes = 0;
    let finished = false;
    const delivered = new Set<string>();
    let seen = 0;
    while (cycles < shape.maxCycles) {
      const start = t0 + shape.firstCycleAt * 1000 + cycles * period;
      now = Math.max(now, start);
      const cycleStart = now;
      cycles++;
      const kill = shape.killEvery && cycles % shape.killEvery === 0;
      const killAt = kill ? cycleStart + budget / 2 + draw() * (budget / 2) : Number.POSITIVE_INFINITY;
      if (kill) killed++;
      const deps = killAt === Number.POSITIVE_INFINITY ? baseDeps : dying(baseDeps, () => now >= killAt);
      try {
        const summary = await runPollCycle(deps, { ...poller.options, deadline: cycleStart + budget });
        shape.onCycle?.(cycles, summary, (now - t0) / 1000, stack.ssm.callCounts());
      } catch (error) {
        if (!(error instanceof CycleKilled)) throw error;
      }

      const events = stack.recorder.events();
      for (const event of events.slice(seen)) delivered.add(keyOfEvent(event));
      seen = events.length;
      maxStateItemBytes = Math.max(
        maxStateItemBytes,
        await itemBytes(KEYS.poller(shard), KEYS.pollerState),
        ...(await Promise.all(watched.map((id) => itemBytes(KEYS.execution(id), KEYS.executionState)))),
      );
      if (big !== null && firstComplete === null) {
        const state = await poller.deps.store.loadExecution(big);
        if (state?.execution.stepsReadAt) firstComplete = cycles;
      }
      const entries = stack.ssm.groundTruth();
      const truth = [...finalStatuses(entries)];
      if (drained === null && backlog.size > 0) {
        const owed = truth.filter((key) => backlog.has(key.split('|')[0] as string) && !delivered.has(key));
        if (owed.length === 0) {
          drained = cycles;
          drainingCalls = false;
        }
      }
      // Done once every final status SSM reached is on the bus and the huge execution has ended.
      const bigEnded = big === null || entries.some((e) => e.kind === 'execution' && e.executionId === big);
      const bigFinal = big === null || truth.some((key) => key.startsWith(`${big}||`));
      if (
        truth.every((key) => delivered.has(key)) &&
        bigEnded &&
        bigFinal &&
        (backlog.size === 0 || drained !== null)
      ) {
        finished = true;
        break;
      }
    }

    const events = stack.recorder.events();
    const truth = stack.ssm.groundTruth();
    const check = checkDeliveries(events, truth);
    const latencies = latenciesOf(events, truth, small, t0 + shape.firstCycleAt * 1000);
    const callsNeeded = backlog.size === 0 ? null : Math.ceil(backlog.size / STEP_PAGE_SIZE) + backlog.size;
    const bound = callsNeeded === null ? null : (callsNeeded + otherCalls) / ((tps * budget) / 1000);
    return {
      bigExecutionSteps: shape.bigSteps,
      rateControlTargets: shape.rateControlTargets,
      backlogExecutions: shape.backlog,
      smallExecutions: shape.small,
      cycles,
      killedCycles: killed,
      cyclesToFirstCompleteRead: big === null ? null : firstComplete,
      cyclesToDrainBacklog: drained,
      backlogCallsNeeded: callsNeeded,
      drainRatioToBound: drained === null || bound === null ? null : round(drained / bound),
      otherCallsWhileDraining: backlog.size === 0 ? null : otherCalls,
      otherExecutionsLatencyP99Seconds: latencies.length === 0 ? null : round(percentile(latencies, 0.99)),
      otherExecutionsLatencyMaxSeconds: latencies.length === 0 ? null : round(Math.max(...latencies)),
      maxStateItemBytes,
      lost: [...finalStatuses(truth)].filter((key) => !delivered.has(key)).length,
      duplicates: check.duplicates,
      outOfOrder: check.outOfOrder,
      finalBeforeSteps: check.finalBeforeSteps,
      events: events.length,
      ssmCalls:
        poller.calls.get('DescribeAutomationExecutions') +
        poller.calls.get('DescribeAutomationStepExecutions'),
      finished,
      wallSeconds: round((performance.now() - wallStart) / 1000),
    };
  } finally {
    await stack.stop();
  }
}

/** The cycle's ports, each call failing with {@link CycleKilled} once `dead()` says so. */
function dying<T extends { source: object; store: object; publisher: object }>(
  deps: T,
  dead: () => boolean,
): T {
  const wrap = <P extends object>(port: P): P =>
    new Proxy(port, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (dead()) throw new CycleKilled('the cycle was killed');
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  return { ...deps, source: wrap(deps.source), store: wrap(deps.store), publisher: wrap(deps.publisher) };
}

/** `executionId|stepExecutionId|status` of every final status SSM reached (steps and executions). */
function finalStatuses(truth: readonly GroundTruthEntry[]): Set<string> {
  const last = new Map<string, string>();
  for (const entry of truth) {
    if (entry.kind === 'alarm') continue;
    last.set(`${entry.executionId}|${entry.stepExecutionId ?? ''}`, entry.status ?? '');
  }
  const keys = new Set<string>();
  for (const [owner, status] of last) {
    if (!['Success', 'Failed', 'Cancelled', 'TimedOut', 'CompletedWithSuccess'].includes(status)) continue;
    keys.add(`${owner}|${status}`);
  }
  return keys;
}

interface Detail {
  readonly eventId: string;
  readonly executionId: string;
  readonly executionStatus: string;
  readonly step?: { readonly stepExecutionId: string; readonly status: string } | null;
  readonly alarm?: unknown;
}

function keyOfEvent(event: RecordedEvent): string {
  const d = event.detail as Detail;
  if (d.alarm) return `alarm|${d.eventId}`;
  return d.step
    ? `${d.executionId}|${d.step.stepExecutionId}|${d.step.status}`
    : `${d.executionId}||${d.executionStatus}`;
}

/** Duplicates, steps delivered out of SSM's order, and final statuses that came before a step event. */
function checkDeliveries(
  events: readonly RecordedEvent[],
  truth: readonly GroundTruthEntry[],
): { duplicates: number; outOfOrder: number; finalBeforeSteps: number } {
  const order = new Map<string, string[]>();
  for (const entry of truth) {
    if (entry.kind !== 'step') continue;
    const key = `${entry.executionId}|${entry.stepExecutionId}`;
    order.set(key, [...(order.get(key) ?? []), entry.status ?? '']);
  }
  const ids = new Set<string>();
  const position = new Map<string, number>();
  const ended = new Set<string>();
  let duplicates = 0;
  let outOfOrder = 0;
  let finalBeforeSteps = 0;
  for (const event of events) {
    const d = event.detail as Detail;
    if (ids.has(d.eventId)) {
      duplicates++;
      continue;
    }
    ids.add(d.eventId);
    if (d.alarm) continue;
    if (!d.step) {
      if (['Success', 'Failed', 'Cancelled', 'TimedOut'].includes(d.executionStatus))
        ended.add(d.executionId);
      continue;
    }
    if (ended.has(d.executionId)) finalBeforeSteps++;
    const key = `${d.executionId}|${d.step.stepExecutionId}`;
    const index = (order.get(key) ?? []).indexOf(d.step.status);
    if (index < (position.get(key) ?? -1)) outOfOrder++;
    position.set(key, index);
  }
  return { duplicates, outOfOrder, finalBeforeSteps };
}

/** Seconds from each step change of the small executions (after `from`) to its event on the bus. */
function latenciesOf(
  events: readonly RecordedEvent[],
  truth: readonly GroundTruthEntry[],
  small: ReadonlySet<string>,
  from: number,
): number[] {
  const arrived = new Map<string, number>();
  for (const event of events) {
    const key = keyOfEvent(event);
    if (!arrived.has(key)) arrived.set(key, event.receivedAt);
  }
  const latencies: number[] = [];
  for (const entry of truth) {
    if (entry.kind !== 'step' || !small.has(entry.executionId) || entry.at < from) continue;
    const at = arrived.get(`${entry.executionId}|${entry.stepExecutionId}|${entry.status}`);
    // A change superseded before any read (InProgress of a step that ended meanwhile) is not owed.
    if (at === undefined) continue;
    latencies.push((at - entry.at) / 1000);
  }
  return latencies;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The `stress` key of the bench's last line: the two runs the targets are set for, and the targets. */
export interface StressReport {
  readonly bigExecutionSteps: number;
  readonly backlogExecutions: number;
  readonly cyclesToFirstCompleteRead: number | null;
  readonly cyclesToDrainBacklog: number | null;
  readonly drainRatioToBound: number | null;
  readonly otherExecutionsLatencyP99Seconds: number | null;
  readonly maxStateItemBytes: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly runs: { readonly bigExecution: StressFigures; readonly backlog: StressFigures };
  readonly targets: {
    readonly drainRatioAtMost1_2: boolean;
    readonly otherExecutionsP99AtMost75s: boolean;
    readonly stateItemsAtMost350KB: boolean;
    readonly noLostNoDuplicates: boolean;
  };
}

/**
 * The bench's stress figures at the default 2 SSM calls a second and one-minute schedule: a
 * 20,000-step execution first seen halfway through, and a 6,000-execution backlog after a three-hour
 * outage, each beside 50 small executions changing every period.
 */
export async function measureStress(): Promise<StressReport> {
  const bigExecution = await runStress({
    bigSteps: 20_000,
    rateControlTargets: 0,
    backlog: 0,
    small: 50,
    firstCycleAt: 1000,
    maxCycles: 120,
  });
  const backlog = await runStress({
    bigSteps: 0,
    rateControlTargets: 0,
    backlog: 6000,
    small: 50,
    firstCycleAt: 3 * 3600,
    maxCycles: 240,
  });
  const runs = [bigExecution, backlog];
  const p99 = Math.max(
    ...runs.map((run) => run.otherExecutionsLatencyP99Seconds ?? Number.POSITIVE_INFINITY),
  );
  const report = {
    bigExecutionSteps: bigExecution.bigExecutionSteps,
    backlogExecutions: backlog.backlogExecutions,
    cyclesToFirstCompleteRead: bigExecution.cyclesToFirstCompleteRead,
    cyclesToDrainBacklog: backlog.cyclesToDrainBacklog,
    drainRatioToBound: backlog.drainRatioToBound,
    otherExecutionsLatencyP99Seconds: p99,
    maxStateItemBytes: Math.max(...runs.map((run) => run.maxStateItemBytes)),
    lost: runs.reduce((sum, run) => sum + run.lost + run.outOfOrder + run.finalBeforeSteps, 0),
    duplicates: runs.reduce((sum, run) => sum + run.duplicates, 0),
    runs: { bigExecution, backlog },
  };
  return {
    ...report,
    targets: {
      drainRatioAtMost1_2: report.drainRatioToBound !== null && report.drainRatioToBound <= 1.2,
      otherExecutionsP99AtMost75s: p99 <= 75,
      stateItemsAtMost350KB: report.maxStateItemBytes <= 350_000,
      noLostNoDuplicates: report.lost === 0 && report.duplicates === 0 && runs.every((run) => run.finished),
    },
  };
}

/** Prints the stress report in a few lines. */
export function printStress(report: StressReport): StressReport {
  console.log(
    `\nStress (issue 18), 2 SSM calls/s, one-minute schedule, 45 s a cycle, 50 small executions beside:\n` +
      `  ${report.bigExecutionSteps}-step execution: first complete read after ${report.cyclesToFirstCompleteRead} cycles, ` +
      `${report.runs.bigExecution.cycles} cycles to the end, ${report.runs.bigExecution.events} events, ` +
      `small executions p99 ${report.runs.bigExecution.otherExecutionsLatencyP99Seconds} s\n` +
      `  ${report.backlogExecutions}-execution backlog: drained in ${report.cyclesToDrainBacklog} cycles, ` +
      `${report.drainRatioToBound}x the bound, small executions p99 ${report.runs.backlog.otherExecutionsLatencyP99Seconds} s\n` +
      `  largest state item ${report.maxStateItemBytes} B; lost ${report.lost}, duplicates ${report.duplicates}; ` +
      `targets ${JSON.stringify(report.targets)}`,
  );
  return report;
}
