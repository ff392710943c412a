// The summary every history format opens with: status counts, duration, failures with their message, alarms, account and Region.
import type { ExecutionListing } from '../../lambda/core/history';
import { isFailureStatus } from '../../lambda/core/status';
import {
  childrenOf,
  failedFirst,
  outcomeRank,
  type RunExecution,
  type RunStep,
  type RunTree,
  targetsOf,
  targetValues,
} from './run-tree';
import { consoleUrl, isoOrNull } from './times';

/** One failure of the run: a failed step, or an execution that failed without a failed step to show. */
export interface SummaryFailure {
  /** The target value of the execution it happened in; null outside a target's child. */
  readonly target: string | null;
  readonly executionId: string;
  readonly documentName: string;
  readonly account: string | null;
  readonly region: string | null;
  /** Null when the execution failed without a failed step. */
  readonly stepName: string | null;
  /** The loop step it ran inside, the iteration and its iterator value; null outside loops. */
  readonly loopStepName: string | null;
  readonly iteration: number | null;
  readonly iteratorValue: string | null;
  readonly status: string;
  /** The whole message, never cut. */
  readonly failureMessage: string | null;
  /** The Systems Manager console page of the execution; null without a Region. */
  readonly consoleUrl: string | null;
}

/** An alarm that went to a state during the run. */
export interface SummaryAlarm {
  readonly name: string;
  readonly state: string;
  readonly executionId: string;
  readonly target: string | null;
  /** Null for an alarm on the execution itself. */
  readonly stepName: string | null;
  /** When it was first observed in that state (ISO 8601 UTC). */
  readonly observedAt: string | null;
}

/** Counts by status. */
export interface StatusCounts {
  readonly total: number;
  /** Status → count, most frequent first (failures before others on a tie). */
  readonly byStatus: Readonly<Record<string, number>>;
}

/** One target of the run, as the targets list shows it. */
export interface SummaryTarget {
  readonly target: string | null;
  readonly outcome: string;
  /** The child execution; null when it never started. */
  readonly executionId: string | null;
  readonly account: string | null;
  readonly region: string | null;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly durationSeconds: number | null;
  /** The child's first failed step, and its message (or the child's own failure message). */
  readonly failedStep: string | null;
  readonly failureMessage: string | null;
  /** Names of the alarms raised in the child or on its step. */
  readonly alarms: readonly string[];
  readonly consoleUrl: string | null;
}

/** What a history opens with. Built by {@link summarise}. */
export interface HistorySummary {
  readonly executionId: string;
  readonly documentName: string;
  readonly documentVersion: string | null;
  /** The execution's last known status; `unknown` when neither snapshot nor transition says. */
  readonly status: string;
  readonly parentExecutionId: string | null;
  readonly account: string | null;
  readonly region: string | null;
  readonly consoleUrl: string | null;
  readonly startTime: string | null;
  readonly endTime: string | null;
  /** End − start, or last observation − start while it runs; null without a start. */
  readonly durationSeconds: number | null;
  /** Every step of the run (the execution and its children), by last status; `not run` / `not started` for steps that never started. */
  readonly steps: StatusCounts;
  /** Child executions (every depth), by last status. */
  readonly children: StatusCounts;
  /**
   * Targets of the execution asked for (rate control, multi-account) by outcome; null when none of
   * its children is named by a target.
   */
  readonly targets: StatusCounts | null;
  /** Failed steps, and executions that failed without one, failed targets first; every one, message whole. */
  readonly failures: readonly SummaryFailure[];
  readonly alarms: readonly SummaryAlarm[];
}

function counts(statuses: readonly string[]): StatusCounts {
  const tally = new Map<string, number>();
  for (const status of statuses) tally.set(status, (tally.get(status) ?? 0) + 1);
  const byStatus = Object.fromEntries(
    [...tally.entries()].sort(
      (a, b) => b[1] - a[1] || outcomeRank(a[0]) - outcomeRank(b[0]) || (a[0] < b[0] ? -1 : 1),
    ),
  );
  return { total: statuses.length, byStatus };
}

/**
 * Summarises a run for its reader: the execution asked for (its snapshot when there is one, else
 * what its transitions say), counts, every failure with its whole message, every alarm.
 */
export function summarise(
  tree: RunTree,
  executionId: string,
  listing: ExecutionListing | null,
): HistorySummary {
  const root = tree.executions.find((e) => e.executionId === executionId) ?? tree.executions[0] ?? null;
  const targets = targetValues(tree);
  const start = listing?.startTime ?? isoOrNull(root?.start ?? null);
  const end = listing?.endTime ?? isoOrNull(root?.end ?? null);
  const startMs = start === null ? null : Date.parse(start);
  const endMs = end === null ? tree.to : Date.parse(end);
  const status = listing?.status ?? root?.status ?? 'unknown';
  const account = root?.account ?? null;
  const region = root?.region ?? null;
  const rootTargets = root ? targetsOf(tree, root) : [];
  return {
    executionId,
    documentName: listing?.documentName || root?.documentName || '',
    documentVersion: listing?.documentVersion ?? null,
    status,
    parentExecutionId: listing?.parentExecutionId ?? root?.parentExecutionId ?? null,
    account,
    region,
    consoleUrl: consoleUrl(region, executionId),
    startTime: start,
    endTime: end,
    durationSeconds:
      startMs === null || Number.isNaN(startMs) || Number.isNaN(endMs)
        ? null
        : Math.max(0, Math.round((endMs - startMs) / 100) / 10),
    steps: counts(
      tree.executions.flatMap((e) => [...e.steps.map((s) => s.status), ...e.notStarted.map((s) => s.label)]),
    ),
    children: counts(
      tree.executions.filter((e) => e.executionId !== root?.executionId).map((e) => e.status ?? 'unknown'),
    ),
    targets: rootTargets.some((t) => t.value !== null) ? counts(rootTargets.map((t) => t.outcome)) : null,
    failures: failuresOf(tree, targets, root?.executionId ?? executionId),
    alarms: alarmsOf(tree, targets),
  };
}

/**
 * Failed steps across the run, leaving out a parent's step that started a child the table knows
 * (the child's own failure says more), and executions that failed with no failed step listed in
 * them or below them. The failures of targets come before the others' by outcome, then in history order.
 */
function failuresOf(tree: RunTree, targets: ReadonlyMap<string, string>, rootId: string): SummaryFailure[] {
  const known = new Set(tree.executions.map((e) => e.executionId));
  const failures: SummaryFailure[] = [];
  const listedUnder = new Set<string>();
  const of = (
    execution: RunExecution,
    step: RunStep | null,
    status: string,
    message: string | null,
  ): SummaryFailure => ({
    target: targets.get(execution.executionId) ?? null,
    executionId: execution.executionId,
    documentName: execution.documentName,
    account: execution.account,
    region: execution.region,
    stepName: step?.stepName ?? null,
    loopStepName: step?.parentStep?.stepName ?? null,
    iteration: step?.parentStep?.iteration ?? null,
    iteratorValue: step?.parentStep?.iteratorValue ?? null,
    status,
    failureMessage: message,
    consoleUrl: consoleUrl(execution.region, execution.executionId),
  });
  const markListed = (execution: RunExecution): void => {
    const parents = new Map(tree.executions.map((e) => [e.executionId, e.parentExecutionId]));
    for (
      let id: string | null | undefined = execution.executionId;
      id && !listedUnder.has(id);
      id = parents.get(id)
    ) {
      listedUnder.add(id);
    }
  };
  // Deepest first, so a parent knows whether a failure below it was listed.
  const byDepth = [...tree.executions].sort((a, b) => b.depth - a.depth);
  const perExecution = new Map<string, SummaryFailure[]>();
  for (const execution of byDepth) {
    const mine: SummaryFailure[] = [];
    // A loop step that failed because a step inside it failed: the inner step's failure says more.
    const failedLoops = new Set(
      execution.steps.flatMap((s) =>
        isFailureStatus(s.status) && s.parentStep?.stepExecutionId ? [s.parentStep.stepExecutionId] : [],
      ),
    );
    for (const step of execution.steps) {
      if (!isFailureStatus(step.status)) continue;
      if (step.childExecutionId !== null && known.has(step.childExecutionId)) continue;
      if (failedLoops.has(step.stepExecutionId)) continue;
      mine.push(of(execution, step, step.status, step.failureMessage ?? execution.failureMessage));
    }
    if (mine.length === 0 && execution.status !== null && isFailureStatus(execution.status)) {
      if (!listedUnder.has(execution.executionId)) {
        mine.push(of(execution, null, execution.status, execution.failureMessage));
      }
    }
    if (mine.length > 0) markListed(execution);
    perExecution.set(execution.executionId, mine);
  }
  const rank = (f: SummaryFailure): number => (f.executionId === rootId ? 1 : 0);
  for (const execution of tree.executions) failures.push(...(perExecution.get(execution.executionId) ?? []));
  return failures
    .map((failure, index) => ({ failure, index }))
    .sort((a, b) => rank(a.failure) - rank(b.failure) || a.index - b.index)
    .map(({ failure }) => failure);
}

function alarmsOf(tree: RunTree, targets: ReadonlyMap<string, string>): SummaryAlarm[] {
  const alarms: SummaryAlarm[] = [];
  const seen = new Set<string>();
  for (const execution of tree.executions) {
    const add = (name: string, state: string, at: number, stepId: string | null, stepName: string | null) => {
      const key = JSON.stringify([execution.executionId, stepId, name, state]);
      if (seen.has(key)) return;
      seen.add(key);
      alarms.push({
        name,
        state,
        executionId: execution.executionId,
        target: targets.get(execution.executionId) ?? null,
        stepName,
        observedAt: isoOrNull(at),
      });
    };
    for (const alarm of execution.alarms) add(alarm.name, alarm.state, alarm.at, null, null);
    for (const step of execution.steps) {
      for (const alarm of step.alarms)
        add(alarm.name, alarm.state, alarm.at, step.stepExecutionId, step.stepName);
    }
  }
  return alarms;
}

/** The targets of the execution asked for, failed first, as the targets list shows them. */
export function summaryTargets(tree: RunTree, executionId: string): SummaryTarget[] {
  const root = tree.executions.find((e) => e.executionId === executionId) ?? tree.executions[0];
  if (!root) return [];
  return failedFirst(targetsOf(tree, root)).map((target) => {
    const child = target.child;
    const subtree = child ? subtreeOf(tree, child) : [];
    const failed = subtree.flatMap((e) => e.steps).find((s) => isFailureStatus(s.status)) ?? null;
    const start = child?.start ?? target.step?.start ?? null;
    const end = child?.end ?? (target.step && !target.step.open ? target.step.end : null);
    return {
      target: target.value,
      outcome: target.outcome,
      executionId: child?.executionId ?? null,
      account: child?.account ?? null,
      region: child?.region ?? null,
      startTime: isoOrNull(start),
      endTime: isoOrNull(end),
      durationSeconds: start !== null && end !== null ? Math.round((end - start) / 100) / 10 : null,
      failedStep: failed?.stepName ?? null,
      failureMessage: failed?.failureMessage ?? child?.failureMessage ?? target.step?.failureMessage ?? null,
      alarms: [
        ...new Set([
          ...subtree.flatMap((e) => [...e.alarms, ...e.steps.flatMap((s) => s.alarms)].map((a) => a.name)),
          ...(target.step?.alarms.map((a) => a.name) ?? []),
        ]),
      ],
      consoleUrl: child ? consoleUrl(child.region, child.executionId) : null,
    };
  });
}

/** An execution and every execution below it, in history order. */
export function subtreeOf(tree: RunTree, execution: RunExecution): RunExecution[] {
  const out: RunExecution[] = [execution];
  for (let i = 0; i < out.length; i++) {
    const current = out[i];
    if (current) out.push(...childrenOf(tree, current.executionId).filter((c) => !out.includes(c)));
  }
  return out;
}
