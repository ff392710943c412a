// Carries out a step-read plan against SSM: every query to its last page, the latest sight of each step winning.
import type { ExecutionSource } from '../core/ports';
import {
  byIds,
  FILTER_VALUES_LIMIT,
  isNotStarted,
  isPlannedStepKey,
  mayStillChange,
  type StepQuery,
  type StepReadPlan,
} from '../core/read-plan';
import type { ExecutionState, StepView } from '../core/types';

/** What one execution's step read returned. */
export interface StepRead {
  /** Each step once, as the latest page that listed it showed it. */
  readonly steps: readonly StepView[];
  readonly pages: number;
  /** Whether every step was listed (the plan was a full listing). */
  readonly complete: boolean;
}

/**
 * Reads the steps a plan names. A step listed twice in one read (SSM's paging may shift when a step
 * starts between two pages) counts as its later sight, which is the newer one. Steps open in the
 * snapshot that no planned query returned are then asked for by id, so no filter SSM applies
 * differently from its documentation hides a change.
 *
 * @param late - true once the deadline has passed; the read then stops between pages
 * @param alsoIds - steps to read by id too, unless a query already returned them
 * @returns null when the deadline cut the read short (nothing may be saved from it)
 */
export async function readPlannedSteps(
  source: ExecutionSource,
  executionId: string,
  plan: StepReadPlan,
  previous: ExecutionState | null,
  late: () => boolean,
  alsoIds: readonly string[] = [],
): Promise<StepRead | null> {
  const seen = new Map<string, StepView>();
  let pages = 0;
  const run = async (query: StepQuery): Promise<boolean> => {
    let nextToken: string | null = null;
    do {
      if (pages > 0 && late()) return false;
      const page = await source.readStepPage({ executionId, query, nextToken });
      pages++;
      for (const step of page.steps) {
        seen.delete(step.stepExecutionId);
        seen.set(step.stepExecutionId, step);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return true;
  };

  for (const query of plan.queries) if (!(await run(query))) return null;
  // Only a query without filters lists every step; after filtered ones, check what they cannot show.
  const listedAll = plan.queries.some(
    (q) => !q.startedAfter && !q.startedBefore && !q.stepExecutionIds && !q.stepNames,
  );
  const unseen = new Set(alsoIds.filter((id) => !seen.has(id) && !isPlannedStepKey(id)));
  if (!listedAll && previous) {
    for (const step of previous.steps.values()) {
      if (mayStillChange(step) && !seen.has(step.stepExecutionId)) unseen.add(step.stepExecutionId);
    }
  }
  for (const query of byIds([...unseen])) if (!(await run(query))) return null;
  // A started step of unknown id, named like a step the snapshot holds as not started, either is
  // that step (its id changed when it started, or SSM listed it without one) or another of the same
  // name (a loop iteration). A start-time filter never lists steps not started, so ask by name: if
  // the not-started one is still listed, the started one is another step.
  if (!listedAll && previous) {
    for (const query of byNames(ambiguousNames(previous, seen))) if (!(await run(query))) return null;
  }
  return { steps: [...seen.values()], pages, complete: plan.complete };
}

/** Names of started steps this read found with an unknown id, of which the snapshot holds a not-started step. */
function ambiguousNames(previous: ExecutionState, seen: ReadonlyMap<string, StepView>): string[] {
  const plannedNames = new Set<string>();
  for (const step of previous.steps.values()) if (isNotStarted(step)) plannedNames.add(step.stepName);
  const names = new Set<string>();
  for (const step of seen.values()) {
    if (!isNotStarted(step) && !previous.steps.has(step.stepExecutionId) && plannedNames.has(step.stepName))
      names.add(step.stepName);
  }
  return [...names];
}

/** Queries for the steps of these names, ten names a query. */
function byNames(names: readonly string[]): StepQuery[] {
  const queries: StepQuery[] = [];
  for (let i = 0; i < names.length; i += FILTER_VALUES_LIMIT) {
    queries.push({ stepNames: names.slice(i, i + FILTER_VALUES_LIMIT) });
  }
  return queries;
}
