// Which history rows to show and in what order: filters by status, step and target, failed targets first.
import { FAILURE_STATUSES, KNOWN_STATUSES } from '../../lambda/core/status';
import { UsageError } from '../errors';
import { type HistoryRow, isNotStartedRow } from './format';
import { childrenOf, outcomeRank, type RunTree, targetValues } from './run-tree';

/** What `history` narrows its rows and targets to; every part given must match. */
export interface HistoryFilter {
  /** Keep steps and executions whose last status is one of these (exact SSM spelling). @default any */
  readonly statuses?: readonly string[];
  /** Keep the rows of steps with exactly this name. @default any step */
  readonly step?: string;
  /** Keep the rows of the execution run for this target value, of what it started, and of the parent's step for it. @default any */
  readonly target?: string;
}

const BY_LOWER_CASE: ReadonlyMap<string, string> = new Map(KNOWN_STATUSES.map((s) => [s.toLowerCase(), s]));

/**
 * Reads status flag values (the flag may be repeated, each value a comma-separated list)
 * case-insensitively into SSM's spelling, once each, adding {@link FAILURE_STATUSES} for `failed`
 * (`history --failed`). One reader for `history`, `executions` and `notify preview`, so they agree.
 *
 * @param command - the command, for the error's prefix (`history`, `executions`, `notify preview`)
 * @param flag - the flag as typed (`status`, `statuses`)
 * @returns the statuses, or undefined when none were asked for
 * @throws UsageError naming the known statuses, for a value that is none of them; also for a flag
 *   given with no status at all (`--status ''` or `--status ,`)
 * @example
 * ```ts
 * parseStatuses('history', 'status', ['failed,timedout'], false); // ['Failed', 'TimedOut']
 * ```
 */
export function parseStatuses(
  command: string,
  flag: string,
  values: readonly string[],
  failed = false,
): string[] | undefined {
  const statuses = new Set<string>(failed ? FAILURE_STATUSES : []);
  let asked = false;
  for (const value of values) {
    for (const part of value.split(',')) {
      const text = part.trim();
      if (text === '') continue;
      asked = true;
      const known = BY_LOWER_CASE.get(text.toLowerCase());
      if (known === undefined) {
        throw new UsageError(
          `${command}: --${flag} "${text}" is not a status SSM uses; known: ${KNOWN_STATUSES.join(', ')}.`,
        );
      }
      statuses.add(known);
    }
  }
  if (values.length > 0 && !asked) {
    throw new UsageError(`${command}: --${flag} needs a status, e.g. Failed.`);
  }
  return statuses.size > 0 ? [...statuses] : undefined;
}

/** Whether the filter narrows anything. */
export function isFiltering(filter: HistoryFilter): boolean {
  return filter.statuses !== undefined || filter.step !== undefined || filter.target !== undefined;
}

/** What a row is about: a step (by execution and step id, or name when SSM gave no id), or an execution. */
function subjectOf(row: HistoryRow): string {
  const isStep =
    row.kind === 'step' || isNotStartedRow(row) || (row.kind === 'alarm' && row.stepExecutionId !== null);
  return isStep
    ? `${row.executionId}\u0000${row.stepExecutionId ?? `name:${row.stepName}`}`
    : `${row.executionId}\u0000`;
}

/**
 * The executions the target value names (the child run for it and everything below it) and the
 * parent's step for it, as row subjects and execution ids.
 *
 * @throws UsageError when no target of the run has that value
 */
function targetScope(tree: RunTree, target: string): { executions: Set<string>; steps: Set<string> } {
  const values = targetValues(tree);
  const executions = new Set([...values.entries()].filter(([, value]) => value === target).map(([id]) => id));
  const steps = new Set<string>();
  for (const execution of tree.executions) {
    for (const step of execution.steps) {
      if (step.stepName === target && step.action === 'aws:executeAutomation') {
        steps.add(`${execution.executionId}\u0000${step.stepExecutionId}`);
      }
    }
    for (const step of execution.notStarted) {
      if (step.stepName === target) {
        steps.add(`${execution.executionId}\u0000${step.stepExecutionId ?? `name:${step.stepName}`}`);
      }
    }
  }
  if (executions.size === 0 && steps.size === 0) {
    const known = [...new Set(values.values())];
    throw new UsageError(
      `history: no target "${target}" in this run${known.length > 0 ? `; targets include ${known.slice(0, 5).join(', ')}${known.length > 5 ? ', …' : ''}` : ' (it has no targets)'}.`,
    );
  }
  return { executions, steps };
}

/**
 * The rows the filter keeps. A status keeps every row of a step (or execution) whose last status
 * matches, so a failed step shows how it got there; a step that never started counts as `Pending`.
 */
export function filterRows(rows: readonly HistoryRow[], tree: RunTree, filter: HistoryFilter): HistoryRow[] {
  if (!isFiltering(filter)) return [...rows];
  const lastStatus = new Map<string, string>();
  for (const execution of tree.executions) {
    if (execution.status !== null) lastStatus.set(`${execution.executionId}\u0000`, execution.status);
    for (const step of execution.steps)
      lastStatus.set(`${execution.executionId}\u0000${step.stepExecutionId}`, step.status);
  }
  const statuses = filter.statuses ? new Set(filter.statuses) : null;
  const scope = filter.target === undefined ? null : targetScope(tree, filter.target);
  return rows.filter((row) => {
    const subject = subjectOf(row);
    if (statuses) {
      const status = isNotStartedRow(row) ? row.status : (lastStatus.get(subject) ?? row.status);
      if (status === null || !statuses.has(status)) return false;
    }
    if (filter.step !== undefined && (row.kind === 'execution' || row.stepName !== filter.step)) return false;
    if (scope && !scope.executions.has(row.executionId) && !scope.steps.has(subject)) return false;
    return true;
  });
}

/**
 * Rows in the order people read them: the execution asked for first, then each child's rows with
 * the failed children first (by outcome, stably), each child followed by its own children the same
 * way. Within an execution the order stays the history order. Executions the tree does not place
 * keep their place at the end.
 */
export function failedFirstRows(rows: readonly HistoryRow[], tree: RunTree): HistoryRow[] {
  const byExecution = new Map<string, HistoryRow[]>();
  for (const row of rows) {
    const list = byExecution.get(row.executionId);
    if (list) list.push(row);
    else byExecution.set(row.executionId, [row]);
  }
  const ordered: HistoryRow[] = [];
  const placed = new Set<string>();
  const visit = (executionId: string): void => {
    if (placed.has(executionId)) return;
    placed.add(executionId);
    ordered.push(...(byExecution.get(executionId) ?? []));
    const children = childrenOf(tree, executionId)
      .map((child, index) => ({ child, index }))
      .sort((a, b) => outcomeRank(a.child.status) - outcomeRank(b.child.status) || a.index - b.index);
    for (const { child } of children) visit(child.executionId);
  };
  const roots = tree.executions.filter(
    (e) =>
      e.parentExecutionId === null || !tree.executions.some((p) => p.executionId === e.parentExecutionId),
  );
  for (const root of roots) visit(root.executionId);
  for (const executionId of byExecution.keys()) visit(executionId);
  return ordered;
}

/** The rows with each one's target value set (see `targetValues`). */
export function withTargets(rows: readonly HistoryRow[], tree: RunTree): HistoryRow[] {
  const values = targetValues(tree);
  return rows.map((row) => {
    const target = values.get(row.executionId) ?? null;
    return target === row.target ? row : { ...row, target };
  });
}
