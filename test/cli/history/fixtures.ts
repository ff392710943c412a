// History test data made the way the poller makes it: diffExecution over successive views, then buildEvents.

import { type HistoryRow, notStartedRow, toHistoryRow } from '../../../cli/history/format';
import { diffExecution } from '../../../lambda/core/diff';
import { buildEvents, parseEventDetail } from '../../../lambda/core/events';
import {
  compareNotStarted,
  compareTransitions,
  type NotStartedStep,
  notStartedStepOf,
  type TransitionRecord,
  transitionKindOf,
} from '../../../lambda/core/history';
import type { ExecutionState, ExecutionView, StepView } from '../../../lambda/core/types';
import { executionView, isoAt, stepView } from '../../helpers/builders';

/** What SSM showed of one execution at one poll, `at` seconds after the test epoch. */
export interface Moment {
  readonly at: number;
  readonly execution?: Partial<ExecutionView>;
  readonly steps: readonly Partial<StepView>[];
}

/** The transition records of one execution observed at each moment, in history order. */
export function recordsOf(executionId: string, moments: readonly Moment[], depth = 0): TransitionRecord[] {
  return trailOf(executionId, moments, depth).records;
}

/**
 * What the table holds of one execution observed at each moment: its transition records, in
 * history order, and the steps its snapshot keeps as not started (as the history reader reads them).
 */
export function trailOf(
  executionId: string,
  moments: readonly Moment[],
  depth = 0,
): { records: TransitionRecord[]; notStarted: NotStartedStep[] } {
  let previous: ExecutionState | null = null;
  let sequence = 0;
  const records: TransitionRecord[] = [];
  for (const moment of moments) {
    const execution = executionView({ executionId, ...moment.execution });
    const result = diffExecution({
      execution,
      steps: moment.steps.map((step) => stepView(step)),
      previous,
      stepsComplete: true,
      readAt: isoAt(moment.at),
    });
    const events = buildEvents(
      execution,
      result.transitions,
      {
        account: '111122223333',
        region: 'eu-west-1',
        partition: 'aws',
        source: 'ssm-step-watch',
        observedAt: isoAt(moment.at),
        maxEntryBytes: 262_144,
      },
      sequence,
    );
    sequence += events.length;
    for (const event of events) {
      records.push({
        eventId: event.eventId,
        executionId: event.executionId,
        detailType: event.detailType,
        kind: transitionKindOf(event.detailType),
        observedAt: event.observedAt,
        sequence: event.sequence,
        stepExecutionId: event.stepExecutionId,
        sentAt: isoAt(moment.at + 0.2),
        depth,
        detail: parseEventDetail(event.detail),
      });
    }
    previous = {
      execution: { ...result.next.execution, version: result.next.execution.version + 1 },
      steps: result.next.steps,
    };
  }
  const unstarted = [...(previous?.steps.values() ?? [])]
    .flatMap((snapshot) => notStartedStepOf(executionId, snapshot) ?? [])
    .sort(compareNotStarted);
  return { records: records.sort(compareTransitions), notStarted: unstarted };
}

/** The history rows of one execution's trail: its transitions, then its steps that never started. */
export function rowsOf(trail: { records: TransitionRecord[]; notStarted: NotStartedStep[] }): HistoryRow[] {
  const rows = trail.records.map(toHistoryRow);
  const last = rows.at(-1);
  return last === undefined ? rows : [...rows, ...trail.notStarted.map((step) => notStartedRow(step, last))];
}

/** The failure message of the fixture's failed step: a comma, quotes and a line break, as SSM writes them. */
export const FAILURE_MESSAGE =
  'Step fails when it is verifying the changeInstanceState output, "running" expected.\nInstance i-0abc is stopped.';

/** A step name that would run script if it were not escaped. */
export const HOSTILE_STEP_NAME = '<script>window.__pwned = 1</script>';

/** The parent execution of {@link demoRows}. */
export const PARENT_ID = 'aaaaaaaa-0000-4000-8000-000000000002';
/** The child execution of {@link demoRows}. */
export const CHILD_ID = 'aaaaaaaa-0000-4000-8000-000000000007';

const stop = { stepExecutionId: 'step-stop', stepName: 'stopInstances', startTime: isoAt(1) };
const start = { stepExecutionId: 'step-start', stepName: 'startInstances', startTime: isoAt(4) };
const hostile = {
  stepExecutionId: 'step-hostile',
  stepName: HOSTILE_STEP_NAME,
  action: 'aws:executeScript',
  startTime: isoAt(3),
};
/** A step SSM lists up front: `Pending`, no start time, until it starts (or for good). */
const notStarted = (step: Partial<StepView>): Partial<StepView> => ({
  ...step,
  status: 'Pending',
  startTime: null,
});
/** The parent's last step: its run fails before it, so it never runs. */
const verify = {
  stepExecutionId: 'step-verify',
  stepName: 'verifyRunning',
  action: 'aws:assertAwsResourceProperty',
};
const alarm = { name: 'StatusCheckFailed-i-0abc', state: 'ALARM' };

/**
 * As SSM shows them: a failed restart whose steps are all listed up front (Pending until they
 * start; the last one never runs), a step with a hostile name, and a child execution whose one alarm
 * goes to `ALARM` while its first step runs, which cancels it (its second step has not started when
 * last seen): four bars, two alarm rows, one failure message, one step not run, one not started.
 */
export function demoRows(): HistoryRow[] {
  const parentExecution = { documentName: 'AWS-RestartEC2Instance' };
  const parent = trailOf(PARENT_ID, [
    {
      at: 2,
      execution: parentExecution,
      steps: [{ ...stop }, notStarted(hostile), notStarted(start), notStarted(verify)],
    },
    {
      at: 5,
      execution: parentExecution,
      steps: [
        { ...stop, status: 'Success', endTime: isoAt(4) },
        { ...hostile, status: 'Success', endTime: isoAt(4.5) },
        { ...start },
        notStarted(verify),
      ],
    },
    {
      at: 12,
      execution: { ...parentExecution, status: 'Failed', endTime: isoAt(11.5) },
      steps: [
        { ...stop, status: 'Success', endTime: isoAt(4) },
        { ...hostile, status: 'Success', endTime: isoAt(4.5) },
        { ...start, status: 'Failed', endTime: isoAt(11), failureMessage: FAILURE_MESSAGE },
        notStarted(verify),
      ],
    },
  ]);
  const childExecution = {
    documentName: 'AWS-CreateImage',
    parentExecutionId: PARENT_ID,
    startTime: isoAt(4.2),
  };
  const image = { stepExecutionId: 'step-image', stepName: 'createImage', startTime: isoAt(4.2) };
  const tag = notStarted({ stepExecutionId: 'step-tag', stepName: 'tagImage', action: 'aws:createTags' });
  const child = trailOf(
    CHILD_ID,
    [
      { at: 5, execution: childExecution, steps: [{ ...image }, tag] },
      {
        at: 8,
        execution: { ...childExecution, status: 'Cancelling', triggeredAlarms: [alarm] },
        steps: [{ ...image, triggeredAlarms: [alarm] }, tag],
      },
    ],
    1,
  );
  return [...rowsOf(parent), ...rowsOf(child)];
}

/** Reads CSV as RFC 4180 describes it, to check what a spreadsheet would get. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  return records;
}
