// Tests of the run model behind every history format: executions, steps' last state, targets, loops.
import { describe, expect, it } from 'vitest';
import type { HistoryRow } from '../../../cli/history/format';
import { toHistoryRow } from '../../../cli/history/format';
import { buildRunTree, stepEntries, targetsOf, targetValues } from '../../../cli/history/run-tree';
import { isoAt } from '../../helpers/builders';
import {
  CHILD_ID,
  demoRows,
  FAILURE_MESSAGE,
  HOSTILE_STEP_NAME,
  PARENT_ID,
  RATE_PARENT_ID,
  rateChildId,
  rateControlRows,
  recordsOf,
} from './fixtures';

describe('Function: buildRunTree', () => {
  it('makes one execution per execution id, parent first, steps by start time', () => {
    const model = buildRunTree(demoRows());
    expect(model.executions.map((l) => [l.executionId, l.depth, l.status])).toEqual([
      [PARENT_ID, 0, 'Failed'],
      [CHILD_ID, 1, 'Cancelling'],
    ]);
    expect(model.executions[0]?.steps.map((s) => [s.stepName, s.status])).toEqual([
      ['stopInstances', 'Success'],
      [HOSTILE_STEP_NAME, 'Success'],
      ['startInstances', 'Failed'],
    ]);
  });

  it('spans each bar from the step start to its end, and a running step to the last observation', () => {
    const model = buildRunTree(demoRows());
    const failed = model.executions[0]?.steps[2];
    expect(failed).toMatchObject({ start: Date.parse(isoAt(4)), end: Date.parse(isoAt(11)), open: false });
    expect(failed?.failureMessage).toBe(FAILURE_MESSAGE);
    expect(failed?.alarms).toEqual([]);
    expect(model.executions[1]?.steps[0]).toMatchObject({ open: true, end: Date.parse(isoAt(12)) });
    expect(model.executions[1]?.steps[0]?.alarms).toEqual([
      { name: 'StatusCheckFailed-i-0abc', state: 'ALARM', at: Date.parse(isoAt(8)) },
    ]);
    expect(model.executions[1]?.alarms.map((a) => a.name)).toEqual(['StatusCheckFailed-i-0abc']);
    // The executions' own start (second 0) is the earliest time recorded.
    expect(model.from).toBe(Date.parse(isoAt(0)));
    expect(model.to).toBe(Date.parse(isoAt(12)));
  });

  it('keeps one bar for a retried step: open across its attempts, closed when it fails for good', () => {
    // SSM keeps a retried step InProgress across its attempts, then shows it Failed once.
    const retried = { stepName: 'launchInstance', startTime: isoAt(1), maxAttempts: 3 };
    const message = 'Step launchInstance failed maximum allowed times.';
    const moments = [
      { at: 2, steps: [retried] },
      { at: 6, steps: [retried] },
      { at: 10, steps: [{ ...retried, status: 'Failed', endTime: isoAt(9), failureMessage: message }] },
    ];
    const whileRunning = recordsOf('exec-retry', moments.slice(0, 2)).map(toHistoryRow);
    const ended = recordsOf('exec-retry', moments).map(toHistoryRow);

    expect(whileRunning).toHaveLength(2);
    expect(buildRunTree(whileRunning).executions[0]?.steps).toMatchObject([
      { status: 'InProgress', open: true },
    ]);
    expect(buildRunTree(ended).executions[0]?.steps).toMatchObject([
      {
        status: 'Failed',
        open: false,
        start: Date.parse(isoAt(1)),
        end: Date.parse(isoAt(9)),
        failureMessage: message,
      },
    ]);
  });

  it('keeps the steps that never started on their execution, labelled by whether the run ended', () => {
    const model = buildRunTree(demoRows());

    expect(model.executions.map((execution) => execution.notStarted)).toEqual([
      [
        {
          executionId: PARENT_ID,
          stepExecutionId: 'step-verify',
          stepName: 'verifyRunning',
          label: 'not run',
        },
      ],
      [{ executionId: CHILD_ID, stepExecutionId: 'step-tag', stepName: 'tagImage', label: 'not started' }],
    ]);
    expect(model.executions.flatMap((execution) => execution.steps.map((s) => s.stepName))).not.toContain(
      'verifyRunning',
    );
  });

  it('keeps an execution-level alarm on the execution', () => {
    const rows = recordsOf('exec-alarm', [
      { at: 1, execution: { triggeredAlarms: [{ name: 'Budget', state: 'ALARM' }] }, steps: [] },
    ]).map(toHistoryRow);
    expect(buildRunTree(rows).executions[0]?.alarms.map((a) => a.name)).toEqual(['Budget']);
  });
});

describe('Function: targetsOf', () => {
  it('names each child by the parent step that started it, and a target whose child the table does not know by its step outcome', () => {
    // Prepare: four targets, the last one's child missing from the table.
    const rows = rateControlRows({ targets: 4, failed: new Set([1]) }).filter(
      (row) => row.executionId !== rateChildId(3),
    );
    const tree = buildRunTree(rows);
    const parent = tree.executions[0];
    if (!parent) throw new Error('no parent');

    // Act
    const targets = targetsOf(tree, parent);

    // Assess
    expect(targets.map((t) => [t.value, t.outcome, t.child?.executionId ?? null])).toEqual([
      ['i-00000000000000000', 'Success', rateChildId(0)],
      ['i-00000000000000001', 'Failed', rateChildId(1)],
      ['i-00000000000000002', 'Success', rateChildId(2)],
      ['i-00000000000000003', 'Success', null],
    ]);
    expect(targetValues(tree).get(rateChildId(1))).toBe('i-00000000000000001');
  });

  it('names a child in another account or Region by account/region', () => {
    const rows: HistoryRow[] = demoRows().map((row) =>
      row.executionId === CHILD_ID ? { ...row, account: '222233334444', region: 'us-east-1' } : row,
    );
    const tree = buildRunTree(rows);
    const parent = tree.executions.find((e) => e.executionId === PARENT_ID);
    if (!parent) throw new Error('no parent');
    expect(targetsOf(tree, parent).map((t) => t.value)).toEqual(['222233334444/us-east-1']);
  });

  it('has no targets for an execution without children', () => {
    const tree = buildRunTree(rateControlRows({ targets: 2, failed: new Set() }));
    const child = tree.executions.find((e) => e.executionId === rateChildId(0));
    expect(child && targetsOf(tree, child)).toEqual([]);
    expect(tree.executions[0]?.executionId).toBe(RATE_PARENT_ID);
  });
});

describe('Function: stepEntries', () => {
  it('groups the steps that ran in a loop under it, by iteration in order, with the iterator value', () => {
    // Prepare: a loop step, then two iterations of one inner step each, recorded out of order.
    const loop = {
      stepExecutionId: 'loop',
      stepName: 'eachInstance',
      action: 'aws:loop',
      startTime: isoAt(1),
    };
    const inner = (n: number, value: string) => ({
      stepExecutionId: `inner-${n}`,
      stepName: 'stopOne',
      action: 'aws:changeInstanceState',
      startTime: isoAt(1 + n),
      parentStep: {
        stepExecutionId: 'loop',
        stepName: 'eachInstance',
        action: 'aws:loop',
        iteration: n,
        iteratorValue: value,
      },
    });
    const before = { stepExecutionId: 'first', stepName: 'describe', startTime: isoAt(0) };
    const rows = recordsOf('exec-loop', [
      { at: 5, steps: [before, inner(2, 'i-b'), loop, inner(1, 'i-a')] },
    ]).map(toHistoryRow);
    const execution = buildRunTree(rows).executions[0];

    // Act
    const entries = stepEntries(execution?.steps ?? []);

    // Assess
    expect(entries.map((e) => (e.kind === 'step' ? e.step.stepName : `loop ${e.loop.stepName}`))).toEqual([
      'describe',
      'loop eachInstance',
    ]);
    const grouped = entries[1]?.kind === 'loop' ? entries[1].loop : null;
    expect(
      grouped?.iterations.map((i) => [i.iteration, i.iteratorValue, i.steps.map((s) => s.stepExecutionId)]),
    ).toEqual([
      [1, 'i-a', ['inner-1']],
      [2, 'i-b', ['inner-2']],
    ]);
    expect(stepEntries(grouped?.iterations[0]?.steps ?? [], grouped?.key).map((e) => e.kind)).toEqual([
      'step',
    ]);
  });
});
