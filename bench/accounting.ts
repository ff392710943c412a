// What the benchmark compares against: the data bound of each cycle from the scenario, and lost / duplicate events.

import type { RecordedEvent } from '../sandbox/event-recorder';
import { SCENARIO_TERMINAL_STATUSES, type Scenario, type ScenarioStep } from '../sandbox/scenario';
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

/** What one execution's steps cost a cycle at least, and why. */
export interface ExecutionBound {
  readonly executionId: string;
  readonly documentName: string;
  /** Whether it is a child execution (it has a parent). */
  readonly child: boolean;
  /**
   * Why its steps are read: `first` (first sight: the plan, every listed step), `ended` (ended since
   * the previous poll: the one reconciliation read of every listed step), `open` (in flight before
   * and now: the steps that can have changed).
   */
  readonly reason: 'first' | 'ended' | 'open';
  /** Steps that must be read: every listed step (`first`, `ended`), else those that can have changed. */
  readonly steps: number;
  /** ceil(steps / 50), at least 1. */
  readonly pages: number;
}

/** The data bound of one cycle: what any poller must at least read, from the scenario itself. */
export interface CycleBound {
  /** Executions whose status or steps can have changed: in flight at the previous poll, or started since. */
  readonly executions: number;
  /** Of those, in flight now. */
  readonly inFlight: number;
  /** Of those, ended (terminal now). */
  readonly ended: number;
  /**
   * List pages: ceil(in flight now / 50), at least 1 (the in-flight listing), plus ceil(ended since
   * the previous poll, started before or after it / 50), at least 1 (the listing that finds runs that
   * started since, and the final status of runs that ended: each must be returned once, 50 a page).
   */
  readonly listPages: number;
  /** Sum of the executions' step pages. */
  readonly stepPages: number;
  /** Per execution, for finding where a poller spends more than the bound. */
  readonly perExecution: readonly ExecutionBound[];
  /**
   * Executions that ended since the poll before `previous` so shortly before `previous` (less than
   * the visibility lag) that a step SSM shows late could still have been missing from the read after
   * the end: a poller that must be right under the lag reads them once more (one window page each).
   * Not part of the data bound; reported beside it.
   */
  readonly lagSweeps: readonly string[];
}

/** Whether a step is listed at `seconds`: it has started, or it is planned up front. */
function listedAt(step: ScenarioStep, seconds: number): boolean {
  const first = step.timeline[0];
  return step.plannedUpFront !== false || (first !== undefined && first.at <= seconds);
}

/**
 * The data bound of the cycle at `now` after the poll at `previous` (seconds from the scenario
 * start), from the scenario itself, not from what the poller did. Per execution whose steps can have
 * changed (in flight at `previous`, or started since): on first sight and once after its end, every
 * listed step (the plan must be read once; the reconciliation reads it all once more), else the steps
 * the poller cannot know to be settled: open (started, not terminal) at `previous`, or started since
 * (including ones that also ended since). Not-started steps that stay not started count only in those
 * two full reads. Pages are ceil(steps / 50), at least one per such execution. Assumes SSM lists a
 * step from its start time; `visibilityLagSeconds` (the poller's setting) only sizes `lagSweeps`.
 */
export function cycleBound(
  scenario: Scenario,
  previous: number,
  now: number,
  visibilityLagSeconds = 0,
): CycleBound {
  let inFlight = 0;
  let ended = 0;
  const perExecution: ExecutionBound[] = [];
  const lagSweeps: string[] = [];
  const pollBefore = previous - (now - previous);
  for (const execution of scenario.executions) {
    const current = statusAt(execution.timeline, now);
    if (current === undefined) continue;
    const before = statusAt(execution.timeline, previous);
    if (before !== undefined && SCENARIO_TERMINAL_STATUSES.has(before)) {
      const end = execution.timeline.at(-1)?.at ?? Number.NEGATIVE_INFINITY;
      if (end > pollBefore && end + visibilityLagSeconds > previous) lagSweeps.push(execution.id);
      continue;
    }
    const endedNow = SCENARIO_TERMINAL_STATUSES.has(current);
    if (endedNow) ended++;
    else inFlight++;
    const reason = before === undefined ? 'first' : endedNow ? 'ended' : 'open';
    let steps = 0;
    for (const step of execution.steps) {
      if (reason !== 'open') {
        if (listedAt(step, now)) steps++;
        continue;
      }
      const first = step.timeline[0];
      if (first === undefined || first.at > now) continue;
      const stepBefore = statusAt(step.timeline, previous);
      if (stepBefore === undefined || !SCENARIO_TERMINAL_STATUSES.has(stepBefore)) steps++;
    }
    perExecution.push({
      executionId: execution.id,
      documentName: execution.documentName,
      child: (execution.parentId ?? null) !== null,
      reason,
      steps,
      pages: Math.max(1, Math.ceil(steps / STEP_PAGE_SIZE)),
    });
  }
  const listPages =
    Math.max(1, Math.ceil(inFlight / STEP_PAGE_SIZE)) + Math.max(1, Math.ceil(ended / STEP_PAGE_SIZE));
  return {
    executions: perExecution.length,
    inFlight,
    ended,
    listPages,
    stepPages: perExecution.reduce((n, e) => n + e.pages, 0),
    perExecution,
    lagSweeps,
  };
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
 * transition from the status observed at the poll before: null on first sight, `Pending` for the
 * first status of a step planned up front when a poll saw its execution before the step started
 * (the ground truth's `previousStatus`). A step that never started has no entry, so any event for it
 * is unexpected. Newly raised alarms count once per (execution or step, alarm name).
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
  // When each execution became visible: a step planned up front was seen `Pending` by every poll
  // between then and its start.
  const visibleFrom = new Map<string, number>();
  for (const entry of truth) {
    if (entry.kind === 'execution' && !visibleFrom.has(entry.executionId)) {
      visibleFrom.set(entry.executionId, entry.at);
    }
  }
  for (const [entity, entries] of byEntity) {
    const first = entries[0];
    let previous: string | null =
      first?.previousStatus === 'Pending' &&
      observedAtPoll(visibleFrom.get(first.executionId) ?? Number.POSITIVE_INFINITY, first.at)
        ? 'Pending'
        : null;
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
