// One history as every format prints it: the summary of the whole run, its targets and the rows the filter keeps, failed first.
import type { ExecutionListing } from '../../lambda/core/history';
import { failedFirstRows, filterRows, type HistoryFilter, withTargets } from './filters';
import type { HistoryRow } from './format';
import { buildRunTree, type RunTree } from './run-tree';
import { type HistorySummary, type SummaryTarget, summarise, summaryTargets } from './summary';

/** What `step-watch history` prints, whatever the format. */
export interface HistoryReport {
  /** The whole run, whatever the filter. */
  readonly summary: HistorySummary;
  /** The filter applied to `targets` and `rows`. */
  readonly filter: HistoryFilter;
  /** The targets of the execution asked for (rate control, multi-account), failed first, filtered; empty when it has none. */
  readonly targets: readonly SummaryTarget[];
  /** The rows the filter keeps: the execution asked for first, then its children failed first. */
  readonly rows: readonly HistoryRow[];
  /** Rows before filtering. */
  readonly totalRows: number;
  /** The run as built from every row (for the timeline). */
  readonly tree: RunTree;
}

/** Input of {@link buildReport}. */
export interface ReportInput {
  /** Every row of the execution tree, in history order. */
  readonly rows: readonly HistoryRow[];
  readonly executionId: string;
  /** The execution's snapshot; null when the table has none. */
  readonly execution: ExecutionListing | null;
  /** @default no filter */
  readonly filter?: HistoryFilter;
}

/**
 * Builds the report: the run from every row, its summary, then the targets and rows the filter keeps.
 *
 * @throws UsageError when `filter.target` names no target of the run
 */
export function buildReport(input: ReportInput): HistoryReport {
  const filter = input.filter ?? {};
  const tree = buildRunTree(input.rows);
  const rows = withTargets(input.rows, tree);
  const kept = failedFirstRows(filterRows(rows, tree, filter), tree);
  const summary = summarise(tree, input.executionId, input.execution);
  const targets = (summary.targets ? summaryTargets(tree, input.executionId) : []).filter(
    (target) =>
      (filter.statuses === undefined || filter.statuses.includes(target.outcome)) &&
      (filter.target === undefined || target.target === filter.target),
  );
  return {
    summary,
    filter,
    targets,
    rows: kept,
    totalRows: input.rows.length,
    tree,
  };
}
