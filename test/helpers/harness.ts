// An over-the-wire test harness: the local stack on a manual clock and a real poller wired to it.

import { type CycleSummary, type PollCycleOptions, runPollCycle } from '../../lambda/cycle/poll-cycle';
import type { PollerConfig } from '../../lambda/runtime/config';
import { createPoller, type Poller } from '../../lambda/runtime/poller';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import type { NativeEventOptions } from '../../sandbox/native-events';
import { parseScenario, type ScenarioExecution, type ScenarioStep } from '../../sandbox/scenario';
import type { SsmBehaviour } from '../../sandbox/ssm-behaviour';

/** Scenario start, fixed so times in assertions are predictable. */
export const T0 = Date.parse('2026-11-25T12:00:00.000Z');

/** A running stack, a poller and the manual clock both share. */
export interface Harness {
  readonly stack: LocalStack;
  readonly poller: Poller;
  /** Current virtual time, epoch ms. */
  now(): number;
  /** Moves the virtual clock to `seconds` after the scenario start. */
  at(seconds: number): void;
  /** Runs one cycle at the current virtual time. */
  cycle(options?: Partial<PollCycleOptions>): Promise<CycleSummary>;
  /** Events the recorder accepted so far. */
  events(): RecordedEvent[];
  stop(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  readonly throttleTps?: number;
  /** The simulator's behaviour where SSM is undocumented. @default DOCUMENTED_BEHAVIOUR */
  readonly behaviour?: Partial<SsmBehaviour>;
  readonly maxAttempts?: number;
  readonly config?: Partial<PollerConfig>;
  /** SSM's own events from the simulator (`stack.ssm.takeNativeEvents(now)`). @default none */
  readonly nativeEvents?: NativeEventOptions;
}

/** Starts the stack on the scenario (validated like a file) and wires a poller to it. */
export async function startHarness(
  executions: ScenarioExecution[],
  options: HarnessOptions = {},
): Promise<Harness> {
  let now = T0;
  const scenario = parseScenario({ name: 'test', executions });
  const stack = await startLocalStack({
    scenario,
    startEpochMs: T0,
    clock: () => now,
    maxAttempts: options.maxAttempts ?? 3,
    ...(options.throttleTps !== undefined && { throttleTps: options.throttleTps }),
    ...(options.behaviour !== undefined && { behaviour: options.behaviour }),
    ...(options.nativeEvents !== undefined && { nativeEvents: options.nativeEvents }),
  });
  const poller = createPoller(
    {
      tableName: stack.tableName,
      eventBusName: 'test-bus',
      eventSource: 'ssm-step-watch',
      historyRetentionDays: 30,
      maxEntryBytes: 262_144,
      ssmDescribeTps: 1000,
      ...options.config,
    },
    { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
    { clients: stack.clients, timer: { now: () => now, sleep: async () => {} } },
  );
  return {
    stack,
    poller,
    now: () => now,
    at: (seconds) => {
      now = T0 + seconds * 1000;
    },
    cycle: (overrides = {}) => runPollCycle(poller.deps, { ...poller.options, ...overrides }),
    events: () => stack.recorder.events(),
    stop: () => stack.stop(),
  };
}

/** A 36-character id whose last digits are `n`, prefixed by a letter per kind. */
export function idOf(kind: 'e' | 's', n: number): string {
  const hex = kind === 'e' ? 'eeeeeeee' : '55555555';
  return `${hex}-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** A step with a plain timeline: `[[at, status], …]`. */
export function step(
  n: number,
  timeline: [number, string][],
  extra: Partial<ScenarioStep> = {},
): ScenarioStep {
  return {
    id: idOf('s', n),
    name: `step${n}`,
    action: 'aws:executeScript',
    timeline: timeline.map(([at, status]) => ({ at, status })),
    ...extra,
  };
}

/** An execution with a plain timeline and its steps. */
export function execution(
  n: number,
  timeline: [number, string][],
  steps: ScenarioStep[],
  extra: Partial<ScenarioExecution> = {},
): ScenarioExecution {
  return {
    id: idOf('e', n),
    documentName: `Doc-${n}`,
    documentVersion: '1',
    parentId: null,
    timeline: timeline.map(([at, status]) => ({ at, status })),
    steps,
    ...extra,
  };
}

/** A sequential run of `count` steps, each `seconds` long, starting at `start`, all ending in `final`. */
export function sequentialSteps(
  firstId: number,
  count: number,
  start: number,
  seconds: number,
): ScenarioStep[] {
  return Array.from({ length: count }, (_, i) =>
    step(firstId + i, [
      [start + i * seconds, 'InProgress'],
      [start + (i + 1) * seconds, 'Success'],
    ]),
  );
}

/** The transitions the recorder got, as compact strings `kind:id:previous>status` for assertions. */
export function transitionsOf(events: readonly RecordedEvent[]): string[] {
  return events.map((event) => {
    const d = event.detail as {
      executionId: string;
      executionStatus: string;
      previousStatus?: string | null;
      step?: { stepExecutionId: string; previousStatus: string | null; status: string } | null;
      alarm?: { name: string; state: string };
    };
    if (d.alarm)
      return `alarm:${d.step?.stepExecutionId.slice(-4) ?? d.executionId.slice(-4)}:${d.alarm.name}`;
    if (d.step)
      return `step:${d.step.stepExecutionId.slice(-4)}:${d.step.previousStatus ?? 'null'}>${d.step.status}`;
    return `execution:${d.executionId.slice(-4)}:${d.previousStatus ?? 'null'}>${d.executionStatus}`;
  });
}
