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

/** Id of the rate-control parent of {@link rateControlRows}. */
export const RATE_PARENT_ID = 'bbbbbbbb-0000-4000-8000-000000000001';

/** The id of the child run for target `i` of {@link rateControlRows}. */
export function rateChildId(i: number): string {
  return `bbbbbbbb-0000-4000-8000-${String(100_000 + i).padStart(12, '0')}`;
}

/** The failure message of a failed target `i` of {@link rateControlRows}: long, with the part that explains at its end. */
export function rateFailureMessage(i: number): string {
  return `Step fails when it is Poll action with status: Failed. Details: An error occurred (IncorrectInstanceState) when calling the StopInstances operation: The instance 'i-${String(i).padStart(17, '0')}' is not in a state from which it can be stopped.`;
}

/**
 * The rows a rate-control run leaves in the table, made by the poller's own core (diff, then
 * events): a parent (AWS-RestartEC2Instance) with one `aws:executeAutomation` step per target, named
 * after the target, whose outputs name the child; one child per target running stopInstances then
 * startInstances, 10 s each, `concurrency` at a time. The targets in `failed` fail their first step
 * (its message from {@link rateFailureMessage}); the alarm `StatusCheckFailed` goes to ALARM on the
 * first failed target's step.
 */
export function rateControlRows(options: {
  readonly targets: number;
  readonly failed: ReadonlySet<number>;
  readonly concurrency?: number;
}): HistoryRow[] {
  const concurrency = options.concurrency ?? 50;
  const name = (i: number): string => `i-${String(i).padStart(17, '0')}`;
  const startOf = (i: number): number => 1 + Math.floor(i / concurrency) * 20;
  const endOf = (i: number): number => startOf(i) + (options.failed.has(i) ? 10 : 20);
  const indexes = Array.from({ length: options.targets }, (_, i) => i);
  const last = Math.max(...indexes.map(endOf));
  const outcome = (i: number): string => (options.failed.has(i) ? 'Failed' : 'Success');
  const firstFailed = Math.min(...options.failed);
  const parentStep = (i: number, at: number): Partial<StepView> => {
    const base = {
      stepExecutionId: `step-${name(i)}`,
      stepName: name(i),
      action: 'aws:executeAutomation',
      inputs: { InstanceId: name(i) },
    };
    if (at < startOf(i)) return { ...base, status: 'Pending', startTime: null };
    if (at < endOf(i))
      return { ...base, startTime: isoAt(startOf(i)), outputs: { ExecutionId: [rateChildId(i)] } };
    return {
      ...base,
      status: outcome(i),
      startTime: isoAt(startOf(i)),
      endTime: isoAt(endOf(i)),
      outputs: { ExecutionId: [rateChildId(i)], Status: [outcome(i)] },
    };
  };
  const parentMoments = [0.5, ...new Set(indexes.flatMap((i) => [startOf(i) + 0.5, endOf(i) + 0.5]))]
    .sort((a, b) => a - b)
    .map((at) => ({
      at,
      execution: {
        documentName: 'AWS-RestartEC2Instance',
        startTime: isoAt(0),
        ...(at > last && {
          status: options.failed.size > 0 ? 'Failed' : 'Success',
          endTime: isoAt(last),
        }),
      },
      steps: indexes.map((i) => parentStep(i, at)),
    }));
  const rows = rowsOf(trailOf(RATE_PARENT_ID, parentMoments));
  for (const i of indexes) {
    const start = startOf(i);
    const failed = options.failed.has(i);
    const alarm = i === firstFailed ? [{ name: 'StatusCheckFailed', state: 'ALARM' }] : [];
    const stop = {
      stepExecutionId: `stop-${i}`,
      stepName: 'stopInstances',
      action: 'aws:changeInstanceState',
    };
    const begin = {
      stepExecutionId: `start-${i}`,
      stepName: 'startInstances',
      action: 'aws:changeInstanceState',
    };
    const execution = {
      documentName: 'AWS-RestartEC2Instance',
      parentExecutionId: RATE_PARENT_ID,
      startTime: isoAt(start),
    };
    const moments: Moment[] = [
      {
        at: start + 0.5,
        execution,
        steps: [
          { ...stop, startTime: isoAt(start) },
          { ...begin, status: 'Pending', startTime: null },
        ],
      },
      {
        at: start + 10.5,
        execution: failed ? { ...execution, status: 'Failed', endTime: isoAt(start + 10) } : execution,
        steps: failed
          ? [
              {
                ...stop,
                startTime: isoAt(start),
                status: 'Failed',
                endTime: isoAt(start + 10),
                failureMessage: rateFailureMessage(i),
                triggeredAlarms: alarm,
              },
              { ...begin, status: 'Pending', startTime: null },
            ]
          : [
              { ...stop, startTime: isoAt(start), status: 'Success', endTime: isoAt(start + 10) },
              { ...begin, startTime: isoAt(start + 10) },
            ],
      },
    ];
    if (!failed) {
      moments.push({
        at: start + 20.5,
        execution: { ...execution, status: 'Success', endTime: isoAt(start + 20) },
        steps: [
          { ...stop, startTime: isoAt(start), status: 'Success', endTime: isoAt(start + 10) },
          { ...begin, startTime: isoAt(start + 10), status: 'Success', endTime: isoAt(start + 20) },
        ],
      });
    }
    rows.push(...rowsOf(trailOf(rateChildId(i), moments, 1)));
  }
  return rows;
}

/** Id of the loop execution of {@link loopRows}. */
export const LOOP_ID = 'dddddddd-0000-4000-8000-000000000001';

/**
 * The rows of an `aws:loop` run over `iterations` instances, made by the poller's core: a describe
 * step, the loop step, and per iteration stopOneInstance then wait10Seconds (2 s each), their
 * `parentStep` naming the loop, the iteration and the instance; iteration `failed` fails its
 * stopOneInstance (onFailure Continue), which fails the loop and the run.
 */
export function loopRows(iterations: number, failed: number): HistoryRow[] {
  const value = (n: number): string => `i-${String(n).padStart(17, '0')}`;
  const loopStep = {
    stepExecutionId: 'loop',
    stepName: 'stopAllInstances',
    action: 'aws:loop',
    startTime: isoAt(1),
  };
  const end = 1 + iterations * 4;
  const inner = (n: number, position: number, at: number): Partial<StepView> => {
    const start = 1 + (n - 1) * 4 + position * 2;
    const base = {
      stepExecutionId: `inner-${n}-${position}`,
      stepName: position === 0 ? 'stopOneInstance' : 'wait10Seconds',
      action: position === 0 ? 'aws:changeInstanceState' : 'aws:sleep',
      startTime: isoAt(start),
      parentStep: {
        stepExecutionId: 'loop',
        stepName: 'stopAllInstances',
        action: 'aws:loop',
        iteration: n,
        iteratorValue: value(n),
      },
    };
    if (at < start + 2) return base;
    const fails = n === failed && position === 0;
    return {
      ...base,
      status: fails ? 'Failed' : 'Success',
      endTime: isoAt(start + 2),
      ...(fails && {
        failureMessage: `Step stopOneInstance failed for ${value(n)}: the instance is not in a state from which it can be stopped.`,
      }),
    };
  };
  const moments: Moment[] = [];
  for (let at = 2; at <= end + 2; at += 2) {
    const started = Array.from({ length: iterations }, (_, i) => i + 1).flatMap((n) =>
      [0, 1].flatMap((position) => (1 + (n - 1) * 4 + position * 2 < at ? [inner(n, position, at)] : [])),
    );
    const over = at > end;
    moments.push({
      at,
      execution: {
        documentName: 'StopInstancesOneByOne',
        startTime: isoAt(0),
        ...(over && { status: 'Failed', endTime: isoAt(end) }),
      },
      steps: [
        {
          stepExecutionId: 'describe',
          stepName: 'describeInstances',
          action: 'aws:executeAwsApi',
          startTime: isoAt(0),
          status: 'Success',
          endTime: isoAt(1),
        },
        over
          ? {
              ...loopStep,
              status: 'Failed',
              endTime: isoAt(end),
              failureMessage: 'Step stopAllInstances failed.',
            }
          : loopStep,
        ...started,
      ],
    });
  }
  return rowsOf(trailOf(LOOP_ID, moments));
}
