// What the benchmark compares against: lower bounds from the scenario, and lost / duplicate events.

import type { RecordedEvent } from '../sandbox/event-recorder';
import { SCENARIO_TERMINAL_STATUSES, type Scenario } from '../sandbox/scenario';
import type { GroundTruthEntry } from '../sandbox/ssm-simulator';

/** Most steps one DescribeAutomationStepExecutions page returns. */
export const STEP_PAGE_SIZE = 50;

/** The status a timeline shows at `seconds` after the scenario start, or undefined before it starts. */
export function statusAt(
  timeline: readonly { readonly at: number; readonly status: string }[],
  seconds: number,
): string | undefined {
  let status: string | undefined;
  for (const entry of timeline) {
    if (entry.at > seconds) break;
    status = entry.status;
  }
  return status;
}

/** What a cycle at `now` must at least read, given the previous poll at `previous` (seconds). */
export interface CycleBound {
  /** Executions whose steps can have changed: in flight at the previous poll, or started since. */
  readonly executions: number;
  /**
   * Step pages no strategy can go below: per execution, ceil(steps that were open at the previous
   * poll, started since, or changed since / 50), at least one.
   */
  readonly stepPages: number;
}

/** The lower bounds of one cycle, from the scenario itself (not from what the poller did). */
export function cycleBound(scenario: Scenario, previous: number, now: number): CycleBound {
  let executions = 0;
  let stepPages = 0;
  for (const execution of scenario.executions) {
    const current = statusAt(execution.timeline, now);
    if (current === undefined) continue;
    const before = statusAt(execution.timeline, previous);
    if (before !== undefined && SCENARIO_TERMINAL_STATUSES.has(before)) continue;
    executions++;
    let mustRead = 0;
    for (const step of execution.steps) {
      const stepNow = statusAt(step.timeline, now);
      if (stepNow === undefined) continue;
      const stepBefore = statusAt(step.timeline, previous);
      if (stepBefore === undefined || stepBefore !== stepNow || !SCENARIO_TERMINAL_STATUSES.has(stepBefore))
        mustRead++;
    }
    stepPages += Math.max(1, Math.ceil(mustRead / STEP_PAGE_SIZE));
  }
  return { executions, stepPages };
}

/** Lost, duplicate and unexpected events against what SSM showed at the poll times. */
export interface DeliveryCheck {
  /** Transitions observable at a poll time (first sight included) that no event carried. */
  readonly lost: number;
  /** Events whose `eventId` was delivered before. */
  readonly duplicates: number;
  /** Events that match no observable transition. */
  readonly unexpected: number;
  /** Transitions observable at a poll time. */
  readonly expected: number;
  /** A few lost or unexpected transitions, for diagnosis. */
  readonly samples: readonly string[];
}

/**
 * Compares the recorder's events with the simulator's ground truth. A status is observable when it
 * was current at one of the poll times (epoch ms); each observable status must arrive once, as a
 * transition from the status observed at the poll before (null on first sight). Newly raised alarms
 * count once per (execution or step, alarm name).
 */
export function checkDelivery(
  truth: readonly GroundTruthEntry[],
  events: readonly RecordedEvent[],
  pollTimes: readonly number[],
): DeliveryCheck {
  const observedAtPoll = (from: number, until: number): boolean =>
    pollTimes.some((t) => t >= from && t < until);

  const expected = new Map<string, number>();
  const add = (key: string): void => {
    expected.set(key, (expected.get(key) ?? 0) + 1);
  };
  const byEntity = new Map<string, GroundTruthEntry[]>();
  for (const entry of truth) {
    if (entry.kind === 'alarm') {
      if (entry.alarmState === 'ALARM' && observedAtPoll(entry.at, Number.POSITIVE_INFINITY)) {
        add(`alarm|${entry.stepExecutionId ?? entry.executionId}|${entry.alarmName}`);
      }
      continue;
    }
    const key = `${entry.kind}|${entry.stepExecutionId ?? entry.executionId}`;
    const list = byEntity.get(key) ?? [];
    list.push(entry);
    byEntity.set(key, list);
  }
  // Alarms are reported once per name, however often they flap.
  for (const [key, count] of expected) if (count > 1) expected.set(key, 1);
  for (const [entity, entries] of byEntity) {
    let previous: string | null = null;
    entries.forEach((entry, i) => {
      const until = entries[i + 1]?.at ?? Number.POSITIVE_INFINITY;
      if (!observedAtPoll(entry.at, until) || entry.status === previous) return;
      add(`${entity}|${previous ?? 'null'}>${entry.status}`);
      previous = entry.status ?? null;
    });
  }
  const expectedTotal = [...expected.values()].reduce((a, b) => a + b, 0);

  const seen = new Set<string>();
  let duplicates = 0;
  const unexpected: string[] = [];
  for (const event of events) {
    const detail = event.detail as {
      eventId: string;
      executionId: string;
      executionStatus: string;
      previousStatus?: string | null;
      step?: { stepExecutionId: string; previousStatus: string | null; status: string } | null;
      alarm?: { name: string };
    };
    if (seen.has(detail.eventId)) {
      duplicates++;
      continue;
    }
    seen.add(detail.eventId);
    const key = detail.alarm
      ? `alarm|${detail.step?.stepExecutionId ?? detail.executionId}|${detail.alarm.name}`
      : detail.step
        ? `step|${detail.step.stepExecutionId}|${detail.step.previousStatus ?? 'null'}>${detail.step.status}`
        : `execution|${detail.executionId}|${detail.previousStatus ?? 'null'}>${detail.executionStatus}`;
    const left = expected.get(key) ?? 0;
    if (left > 0) expected.set(key, left - 1);
    else unexpected.push(key);
  }
  const lost = [...expected].filter(([, left]) => left > 0);
  return {
    lost: lost.reduce((n, [, left]) => n + left, 0),
    duplicates,
    unexpected: unexpected.length,
    expected: expectedTotal,
    samples: [...lost.map(([key]) => `lost ${key}`), ...unexpected.map((key) => `unexpected ${key}`)].slice(
      0,
      8,
    ),
  };
}
