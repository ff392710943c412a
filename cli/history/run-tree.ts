// Pure model of a recorded run for people: each execution with its steps' last state, loops by iteration, children by target.
import type { ParentStepDetail } from '../../lambda/core/events';
import { isFailureStatus, isTerminal } from '../../lambda/core/status';
import { type HistoryRow, isNotStartedRow } from './format';
import { parseTime } from './times';

/** An alarm seen going to a state, on a step or on its execution. */
export interface RunAlarm {
  readonly name: string;
  readonly state: string;
  /** Epoch ms it was observed. */
  readonly at: number;
}

/** One step's last recorded state. */
export interface RunStep {
  readonly executionId: string;
  readonly stepExecutionId: string;
  readonly stepName: string;
  readonly action: string | null;
  /** Last status recorded. */
  readonly status: string;
  /** Epoch ms: the step's start (or first sight) and end (or last sight while it runs). */
  readonly start: number;
  readonly end: number;
  /** True when the step has no end yet (not terminal when last seen). */
  readonly open: boolean;
  readonly failureMessage: string | null;
  readonly alarms: readonly RunAlarm[];
  /** The child execution the step started (`aws:executeAutomation` output `ExecutionId`), if it says. */
  readonly childExecutionId: string | null;
  /** The step's inputs as last recorded (for a rate-control step: the target parameter). */
  readonly inputs: Readonly<Record<string, string>> | null;
  /** The loop it ran inside; null outside loops. */
  readonly parentStep: ParentStepDetail | null;
}

/** A step that never started: no event, no bar. */
export interface RunNotStartedStep {
  readonly executionId: string;
  /** Null when SSM listed the step without an id. */
  readonly stepExecutionId: string | null;
  readonly stepName: string;
  /** `not run` once the execution has ended, `not started` while it is in flight. */
  readonly label: 'not run' | 'not started';
}

/** One execution of the tree with its steps. */
export interface RunExecution {
  readonly executionId: string;
  readonly parentExecutionId: string | null;
  readonly documentName: string;
  /** 0 for the execution asked for, 1 for its children, and so on. */
  readonly depth: number;
  readonly account: string | null;
  readonly region: string | null;
  /** Last status recorded; null when only steps were recorded. */
  readonly status: string | null;
  /** Epoch ms of the execution's start and end, from its events, else from its steps; null if unknown. */
  readonly start: number | null;
  readonly end: number | null;
  readonly failureMessage: string | null;
  /** Alarms on the execution itself (not on one of its steps). */
  readonly alarms: readonly RunAlarm[];
  /** Steps by start time. */
  readonly steps: readonly RunStep[];
  readonly notStarted: readonly RunNotStartedStep[];
}

/** A target of a parent (rate control, multi-account): the child that ran for it, or the step that never started one. */
export interface RunTarget {
  /** The target value (an instance id, `account/region`); null when nothing names it. */
  readonly value: string | null;
  readonly parentExecutionId: string;
  /** The child execution; null for a target whose child never started. */
  readonly child: RunExecution | null;
  /** The parent's step for the target; null when the parent's steps do not name the child. */
  readonly step: RunStep | null;
  /** The child's status, else its step's, else `not run` / `not started`. */
  readonly outcome: string;
}

/** The whole recorded run. */
export interface RunTree {
  /** Executions in history order: the execution asked for first, then its children, depth first. */
  readonly executions: readonly RunExecution[];
  /** Epoch ms of the earliest and latest time recorded (`to` > `from`). */
  readonly from: number;
  readonly to: number;
}

interface StepDraft {
  executionId: string;
  stepExecutionId: string;
  stepName: string;
  action: string | null;
  status: string;
  startTime: number | null;
  endTime: number | null;
  firstSeen: number;
  lastSeen: number;
  failureMessage: string | null;
  alarms: RunAlarm[];
  childExecutionId: string | null;
  inputs: Readonly<Record<string, string>> | null;
  parentStep: ParentStepDetail | null;
  order: number;
}

interface ExecutionDraft {
  executionId: string;
  parentExecutionId: string | null;
  documentName: string;
  depth: number;
  account: string | null;
  region: string | null;
  status: string | null;
  startTime: number | null;
  endTime: number | null;
  failureMessage: string | null;
  alarms: RunAlarm[];
  steps: Map<string, StepDraft>;
  notStarted: RunNotStartedStep[];
}

function firstText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : null;
}

/**
 * Builds the run from history rows (in history order): executions in order of first appearance,
 * steps by start time; a step's status, times and failure message are the last ones recorded.
 */
export function buildRunTree(rows: readonly HistoryRow[]): RunTree {
  const executions = new Map<string, ExecutionDraft>();
  let latest = Number.NEGATIVE_INFINITY;
  let earliest = Number.POSITIVE_INFINITY;
  let order = 0;
  for (const row of rows) {
    const observed = parseTime(row.observedAt);
    if (observed !== null) {
      latest = Math.max(latest, observed);
      earliest = Math.min(earliest, observed);
    }
    let execution = executions.get(row.executionId);
    if (!execution) {
      execution = {
        executionId: row.executionId,
        parentExecutionId: row.parentExecutionId,
        documentName: row.documentName,
        depth: row.depth,
        account: row.account,
        region: row.region,
        status: null,
        startTime: null,
        endTime: null,
        failureMessage: null,
        alarms: [],
        steps: new Map(),
        notStarted: [],
      };
      executions.set(row.executionId, execution);
    }
    if (isNotStartedRow(row)) {
      execution.notStarted.push({
        executionId: row.executionId,
        stepExecutionId: row.stepExecutionId,
        stepName: row.stepName ?? '',
        label: row.kind === 'not-run' ? 'not run' : 'not started',
      });
      continue;
    }
    execution.documentName ||= row.documentName;
    execution.account ??= row.account;
    execution.region ??= row.region;
    execution.parentExecutionId ??= row.parentExecutionId;
    if (row.executionStatus) execution.status = row.executionStatus;
    if (row.kind === 'execution') {
      execution.status = row.status ?? execution.status;
      execution.failureMessage = row.failureMessage ?? execution.failureMessage;
      execution.startTime = parseTime(row.startTime) ?? execution.startTime;
      execution.endTime = parseTime(row.endTime) ?? execution.endTime;
    }
    const step = row.detail?.step;
    if ((row.kind === 'step' || row.kind === 'alarm') && step) {
      const at = observed ?? latest;
      let draft = execution.steps.get(step.stepExecutionId);
      if (!draft) {
        draft = {
          executionId: row.executionId,
          stepExecutionId: step.stepExecutionId,
          stepName: step.stepName,
          action: null,
          status: step.status,
          startTime: null,
          endTime: null,
          firstSeen: at,
          lastSeen: at,
          failureMessage: null,
          alarms: [],
          childExecutionId: null,
          inputs: null,
          parentStep: null,
          order: order++,
        };
        execution.steps.set(step.stepExecutionId, draft);
      }
      draft.stepName = step.stepName || draft.stepName;
      draft.action = typeof step.action === 'string' ? step.action : draft.action;
      draft.status = step.status;
      draft.startTime = parseTime(step.startTime) ?? draft.startTime;
      // The last record decides: an end time a record left out is no end time.
      draft.endTime = parseTime(step.endTime);
      draft.lastSeen = Math.max(draft.lastSeen, at);
      draft.failureMessage =
        typeof step.failureMessage === 'string' ? step.failureMessage : draft.failureMessage;
      draft.childExecutionId = firstText(step.outputs?.ExecutionId) ?? draft.childExecutionId;
      draft.inputs = step.inputs && typeof step.inputs === 'object' ? step.inputs : draft.inputs;
      draft.parentStep = step.parentStep ?? draft.parentStep;
    }
    if (row.kind === 'alarm' && row.alarmName !== null) {
      const alarm = { name: row.alarmName, state: row.alarmState ?? '', at: observed ?? latest };
      const owner = step ? execution.steps.get(step.stepExecutionId) : undefined;
      (owner ? owner.alarms : execution.alarms).push(alarm);
    }
  }

  const built: RunExecution[] = [];
  for (const draft of executions.values()) {
    const steps = [...draft.steps.values()].map((s): RunStep & { order: number } => {
      const start = s.startTime ?? s.firstSeen;
      const open = s.endTime === null && !isTerminal(s.status);
      const end = s.endTime ?? (open ? Math.max(latest, start) : Math.max(s.lastSeen, start));
      earliest = Math.min(earliest, start);
      latest = Math.max(latest, end);
      return {
        executionId: s.executionId,
        stepExecutionId: s.stepExecutionId,
        stepName: s.stepName,
        action: s.action,
        status: s.status,
        start,
        end,
        open,
        failureMessage: s.failureMessage,
        alarms: s.alarms,
        childExecutionId: s.childExecutionId,
        inputs: s.inputs,
        parentStep: s.parentStep,
        order: s.order,
      };
    });
    steps.sort((a, b) => a.start - b.start || a.order - b.order);
    const start = draft.startTime ?? (steps.length > 0 ? Math.min(...steps.map((s) => s.start)) : null);
    const end =
      draft.endTime ??
      (draft.status !== null && isTerminal(draft.status) && steps.length > 0
        ? Math.max(...steps.map((s) => s.end))
        : null);
    if (start !== null) earliest = Math.min(earliest, start);
    if (end !== null) latest = Math.max(latest, end);
    for (const alarm of draft.alarms) latest = Math.max(latest, alarm.at);
    built.push({
      executionId: draft.executionId,
      parentExecutionId: draft.parentExecutionId,
      documentName: draft.documentName,
      depth: draft.depth,
      account: draft.account,
      region: draft.region,
      status: draft.status,
      start,
      end,
      failureMessage: draft.failureMessage,
      alarms: draft.alarms,
      steps: steps.map(({ order: _order, ...step }) => step),
      notStarted: draft.notStarted,
    });
  }
  if (!Number.isFinite(earliest)) earliest = 0;
  if (!Number.isFinite(latest) || latest <= earliest) latest = earliest + 1000;
  return { executions: built, from: earliest, to: latest };
}

/** The executions the tree shows as children of `executionId`, in history order. */
export function childrenOf(tree: RunTree, executionId: string): RunExecution[] {
  return tree.executions.filter((e) => e.parentExecutionId === executionId && e.executionId !== executionId);
}

/** Outcome order: failures first, then what did not finish well or has not finished, then successes, then targets never run. */
export function outcomeRank(status: string | null): number {
  if (status === null) return 3;
  if (isFailureStatus(status)) return 0;
  if (status === 'Success' || status === 'CompletedWithSuccess' || status === 'Approved') return 2;
  if (status === 'not run' || status === 'not started') return 4;
  return 1;
}

/**
 * The targets of a parent: one per child execution, named by the parent's step that started it (SSM
 * names a rate-control step after its target value and puts the child's id in its `ExecutionId`
 * output) or, for a child in another account or Region (multi-account runs), by `account/region`;
 * then one per `aws:executeAutomation` step that started no child the table knows; then, for a
 * parent whose every started step started a child (rate control), one per step that never started.
 * Empty for an execution without children or such steps.
 */
export function targetsOf(tree: RunTree, parent: RunExecution): RunTarget[] {
  const children = childrenOf(tree, parent.executionId);
  const stepOfChild = new Map<string, RunStep>();
  for (const step of parent.steps) if (step.childExecutionId) stepOfChild.set(step.childExecutionId, step);
  const targets: RunTarget[] = children.map((child) => {
    const step = stepOfChild.get(child.executionId) ?? null;
    return {
      value: step ? step.stepName : elsewhere(parent, child),
      parentExecutionId: parent.executionId,
      child,
      step,
      outcome: child.status ?? step?.status ?? 'unknown',
    };
  });
  const known = new Set(children.map((c) => c.executionId));
  const automationSteps = parent.steps.filter((s) => s.action === 'aws:executeAutomation');
  for (const step of automationSteps) {
    if (step.childExecutionId !== null && known.has(step.childExecutionId)) continue;
    targets.push({
      value: step.stepName,
      parentExecutionId: parent.executionId,
      child: null,
      step,
      outcome: step.status,
    });
  }
  const rateControl = automationSteps.length > 0 && automationSteps.length === parent.steps.length;
  if (rateControl) {
    for (const step of parent.notStarted) {
      targets.push({
        value: step.stepName,
        parentExecutionId: parent.executionId,
        child: null,
        step: null,
        outcome: step.label,
      });
    }
  }
  return targets;
}

function elsewhere(parent: RunExecution, child: RunExecution): string | null {
  if (child.account === null || child.region === null) return null;
  return child.account !== parent.account || child.region !== parent.region
    ? `${child.account}/${child.region}`
    : null;
}

/** Targets ordered failed first, then by outcome rank, then by start time (never-started last), stably. */
export function failedFirst(targets: readonly RunTarget[]): RunTarget[] {
  const startOf = (t: RunTarget): number => t.child?.start ?? t.step?.start ?? Number.POSITIVE_INFINITY;
  return targets
    .map((target, index) => ({ target, index }))
    .sort(
      (a, b) =>
        outcomeRank(a.target.outcome) - outcomeRank(b.target.outcome) ||
        startOf(a.target) - startOf(b.target) ||
        a.index - b.index,
    )
    .map(({ target }) => target);
}

/**
 * The target value of each execution that ran for a target, by execution id: a child's own, or its
 * nearest ancestor's for a grandchild.
 */
export function targetValues(tree: RunTree): Map<string, string> {
  const values = new Map<string, string>();
  for (const execution of tree.executions) {
    for (const target of targetsOf(tree, execution)) {
      if (target.child && target.value !== null) values.set(target.child.executionId, target.value);
    }
  }
  for (const execution of tree.executions) {
    if (values.has(execution.executionId)) continue;
    const inherited = execution.parentExecutionId ? values.get(execution.parentExecutionId) : undefined;
    if (inherited !== undefined) values.set(execution.executionId, inherited);
  }
  return values;
}

/** The steps of a loop iteration. */
export interface LoopIteration {
  readonly iteration: number | null;
  readonly iteratorValue: string | null;
  readonly steps: readonly RunStep[];
}

/** A loop step and the steps that ran inside it, by iteration. */
export interface RunLoop {
  /** What the loop's inner steps name as their parent step: its id, or `name:` and its name. */
  readonly key: string;
  /** The loop step itself, when it was recorded. */
  readonly step: RunStep | null;
  readonly stepName: string;
  readonly iterations: readonly LoopIteration[];
}

/** An execution's steps as shown: each outside any loop, or a loop with its iterations. */
export type StepEntry =
  | { readonly kind: 'step'; readonly step: RunStep }
  | { readonly kind: 'loop'; readonly loop: RunLoop };

/**
 * Groups an execution's steps under the loop they ran in (`parentStep`), by iteration in order; a
 * loop takes the place of its loop step (or of its first inner step when the loop step itself was
 * not recorded). Steps outside loops keep their order. One level: a loop inside a loop is listed as
 * an inner step of its outer loop's iteration, with its own inner steps beside it.
 */
export function stepEntries(steps: readonly RunStep[], insideLoop?: string): StepEntry[] {
  const loops = new Map<
    string,
    { step: RunStep | null; stepName: string; byIteration: Map<string, LoopIteration & { steps: RunStep[] }> }
  >();
  const keyOf = (ref: ParentStepDetail): string => ref.stepExecutionId ?? `name:${ref.stepName}`;
  // Inside a loop's iteration, its own steps are plain steps.
  const loopOf = (step: RunStep): string | null => {
    const key = step.parentStep ? keyOf(step.parentStep) : null;
    return key === insideLoop ? null : key;
  };
  for (const step of steps) {
    const key = loopOf(step);
    if (key === null || !step.parentStep) continue;
    let loop = loops.get(key);
    if (!loop) {
      loop = { step: null, stepName: step.parentStep.stepName ?? '(loop)', byIteration: new Map() };
      loops.set(key, loop);
    }
    const iterationKey = `${step.parentStep.iteration ?? ''}|${step.parentStep.iteratorValue ?? ''}`;
    let iteration = loop.byIteration.get(iterationKey);
    if (!iteration) {
      iteration = {
        iteration: step.parentStep.iteration,
        iteratorValue: step.parentStep.iteratorValue,
        steps: [],
      };
      loop.byIteration.set(iterationKey, iteration);
    }
    iteration.steps.push(step);
  }
  for (const step of steps) {
    const loop = loops.get(step.stepExecutionId);
    if (loop) loop.step = step;
  }
  const entries: StepEntry[] = [];
  const placed = new Set<string>();
  const place = (key: string): void => {
    const loop = loops.get(key);
    if (!loop || placed.has(key)) return;
    placed.add(key);
    const iterations = [...loop.byIteration.values()].sort(
      (a, b) => (a.iteration ?? Number.POSITIVE_INFINITY) - (b.iteration ?? Number.POSITIVE_INFINITY),
    );
    entries.push({
      kind: 'loop',
      loop: { key, step: loop.step, stepName: loop.step?.stepName ?? loop.stepName, iterations },
    });
  };
  for (const step of steps) {
    const key = loopOf(step);
    if (key !== null) {
      // A loop whose loop step was recorded takes that step's place; otherwise its first inner step's.
      if (!loops.get(key)?.step) place(key);
    } else if (loops.has(step.stepExecutionId)) place(step.stepExecutionId);
    else entries.push({ kind: 'step', step });
  }
  // A loop run inside another loop's iteration: its steps follow, as a loop of their own.
  for (const key of loops.keys()) place(key);
  return entries;
}

/** Whether any step of the run failed or any execution ended in a failure-like status. */
export function hasFailures(tree: RunTree): boolean {
  return tree.executions.some(
    (e) => (e.status !== null && isFailureStatus(e.status)) || e.steps.some((s) => isFailureStatus(s.status)),
  );
}
