// Watching an over-the-wire run: what a poller should emit (from the ground truth), what it asked SSM, what it logged.
import type { CycleLogger } from '../../lambda/core/ports';
import { type CycleSummary, type PollCycleOptions, runPollCycle } from '../../lambda/cycle/poll-cycle';
import { createPoller, type Poller } from '../../lambda/runtime/poller';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../sandbox/local-stack';
import { stepVisibilityLagMs } from '../../sandbox/ssm-behaviour';
import type { SsmSimulator } from '../../sandbox/ssm-simulator';
import { type Harness, T0 } from './harness';

/**
 * The step transitions a poller that reads at each of `times` (seconds after the scenario start)
 * should emit for one execution, per read, as sorted `stepExecutionId:previous>status` strings: at
 * each read, each step whose status changed since the read before, collapsed into one transition.
 * A step already started when its execution is first read starts from `null`; a planned step the
 * poller saw `Pending` starts from `Pending`; a step that never starts has no entry. A step shows
 * only from its start plus its visibility lag under `lagSeconds` (the simulator's switch), as it
 * does when the poller's window reaches back at least that far.
 */
export function expectedStepTransitionsPerRead(
  sim: SsmSimulator,
  executionId: string,
  times: readonly number[],
  lagSeconds = 0,
): string[][] {
  const execution = sim.scenario.executions.find((candidate) => candidate.id === executionId);
  const firstAt = execution?.timeline[0]?.at;
  const perRead: string[][] = times.map(() => []);
  if (execution === undefined || firstAt === undefined) return perRead;
  const truth = sim.groundTruth().filter((e) => e.kind === 'step' && e.executionId === executionId);
  for (const step of execution.steps) {
    const entries = truth.filter((e) => e.stepExecutionId === step.id);
    const visibleFrom =
      (entries[0]?.at ?? Number.POSITIVE_INFINITY) + stepVisibilityLagMs(step.id, lagSeconds);
    const statusAt = (ms: number): string | undefined =>
      ms < visibleFrom ? undefined : entries.filter((e) => e.at <= ms).at(-1)?.status;
    let previous: string | undefined;
    let seenPending = false;
    times.forEach((t, i) => {
      if (t < firstAt) return;
      const status = statusAt(T0 + t * 1000);
      if (status === undefined) {
        seenPending ||= step.plannedUpFront !== false;
        return;
      }
      if (status === previous) return;
      const from = previous ?? (seenPending ? 'Pending' : 'null');
      perRead[i]?.push(`${step.id}:${from}>${status}`);
      previous = status;
    });
  }
  return perRead.map((list) => list.sort());
}

/** {@link expectedStepTransitionsPerRead} over all reads, as `previous>status` per step execution id. */
export function expectedStepTransitions(
  sim: SsmSimulator,
  executionId: string,
  times: readonly number[],
  lagSeconds = 0,
): Record<string, string[]> {
  const byId: Record<string, string[]> = {};
  for (const entry of expectedStepTransitionsPerRead(sim, executionId, times, lagSeconds).flat()) {
    const [id = '', transition = ''] = entry.split(':');
    byId[id] = [...(byId[id] ?? []), transition];
  }
  return byId;
}

/** The step events recorded for one execution, as sorted `stepExecutionId:previous>status` strings. */
export function stepEventsOf(events: readonly RecordedEvent[], executionId: string): string[] {
  return Object.entries(stepTransitionsById(events, executionId))
    .flatMap(([id, transitions]) => transitions.map((t) => `${id}:${t}`))
    .sort();
}

/**
 * The execution transitions a poller that reads at each of `times` should emit for one execution:
 * its status at each read once it has started, each change collapsed into one `previous>status`.
 */
export function expectedExecutionTransitions(
  sim: SsmSimulator,
  executionId: string,
  times: readonly number[],
): string[] {
  const truth = sim.groundTruth().filter((e) => e.kind === 'execution' && e.executionId === executionId);
  const chain: string[] = [];
  let previous: string | undefined;
  for (const t of times) {
    const status = truth.filter((e) => e.at <= T0 + t * 1000).at(-1)?.status;
    if (status === undefined || status === previous) continue;
    chain.push(`${previous ?? 'null'}>${status}`);
    previous = status;
  }
  return chain;
}

/** The execution events recorded for one execution, as `previous>status`, in order. */
export function executionTransitionsOf(events: readonly RecordedEvent[], executionId: string): string[] {
  return events.flatMap((event) => {
    const d = event.detail as {
      executionId: string;
      executionStatus: string;
      previousStatus?: string | null;
      alarm?: unknown;
      step?: unknown;
    };
    if (d.executionId !== executionId || d.alarm || d.step) return [];
    return [`${d.previousStatus ?? 'null'}>${d.executionStatus}`];
  });
}

/** The step events recorded for one execution, as `previous>status` per step execution id, in order. */
export function stepTransitionsById(
  events: readonly RecordedEvent[],
  executionId: string,
): Record<string, string[]> {
  const byId: Record<string, string[]> = {};
  for (const event of events) {
    const d = event.detail as {
      executionId: string;
      alarm?: unknown;
      step?: { stepExecutionId: string; previousStatus: string | null; status: string } | null;
    };
    if (d.executionId !== executionId || d.alarm || !d.step) continue;
    const list = byId[d.step.stepExecutionId] ?? [];
    list.push(`${d.step.previousStatus ?? 'null'}>${d.step.status}`);
    byId[d.step.stepExecutionId] = list;
  }
  return byId;
}

/** One request the SDK sent to SSM, with its input. */
export interface SsmRequest {
  readonly operation: string;
  readonly input: {
    readonly AutomationExecutionId?: string;
    readonly Filters?: readonly { readonly Key?: string; readonly Values?: readonly string[] }[];
    readonly NextToken?: string;
    readonly ReverseOrder?: boolean;
  };
}

/** The requests a harness's SSM client sends, as they leave it (retries not counted). */
export interface StepReadLog {
  readonly requests: SsmRequest[];
  /** Step pages read of one execution so far. */
  pages(executionId: string): number;
}

/** Records every request the harness's SSM client sends from now on. */
export function recordStepReads(h: Harness): StepReadLog {
  const requests: SsmRequest[] = [];
  h.stack.clients.ssm.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push({
        operation: String(context.commandName).replace(/Command$/, ''),
        input: args.input as SsmRequest['input'],
      });
      return next(args);
    },
    { step: 'initialize', name: 'recordSsmRequests' },
  );
  return {
    requests,
    pages: (executionId) =>
      requests.filter(
        (r) =>
          r.operation === 'DescribeAutomationStepExecutions' && r.input.AutomationExecutionId === executionId,
      ).length,
  };
}

/** A line the poller logged. */
export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra: Record<string, unknown>;
}

/** A second poller on a harness's stack (same table, bus and clock) that logs into `logs`. */
export interface LoggedPoller {
  readonly poller: Poller;
  readonly logs: LogLine[];
  /** Runs one cycle at the harness's current time. */
  cycle(options?: Partial<PollCycleOptions>): Promise<CycleSummary>;
}

/** Wires a poller that logs to the harness's stack; use it instead of `h.cycle()` to see the logs. */
export function loggedPoller(h: Harness): LoggedPoller {
  const logs: LogLine[] = [];
  const write =
    (level: LogLine['level']) =>
    (message: string, extra?: Record<string, unknown>): void => {
      logs.push({ level, message, extra: extra ?? {} });
    };
  const logger: CycleLogger = { info: write('info'), warn: write('warn'), error: write('error') };
  const poller = createPoller(
    {
      tableName: h.stack.tableName,
      eventBusName: 'test-bus',
      eventSource: 'ssm-step-watch',
      historyRetentionDays: 30,
      maxEntryBytes: 262_144,
      ssmDescribeTps: 1000,
    },
    { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
    { clients: h.stack.clients, logger, timer: { now: () => h.now(), sleep: async () => {} } },
  );
  return {
    poller,
    logs,
    cycle: (options = {}) => runPollCycle(poller.deps, { ...poller.options, ...options }),
  };
}
