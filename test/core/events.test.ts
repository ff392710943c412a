// Tests of event building: deterministic ids, every field of the contract, sequence, truncation.
import { describe, expect, it } from 'vitest';
import { EventTooLargeError, UnreadableDetailError } from '../../lambda/core/errors';
import {
  buildEvents,
  type EventContext,
  eventIdOf,
  parseEventDetail,
  TRUNCATION_MARK,
} from '../../lambda/core/events';
import type { OutboxEvent, ParentStep, StepView, Transition } from '../../lambda/core/types';
import { detailOf, executionView, isoAt, stepView } from '../helpers/builders';

const context: EventContext = {
  account: '123456789012',
  region: 'eu-west-1',
  partition: 'aws',
  source: 'ssm-step-watch',
  observedAt: isoAt(10),
  maxEntryBytes: 262_144,
};

const ARN = 'arn:aws:ssm:eu-west-1:123456789012:automation-execution/exec-1';

/** What EventBridge counts for an entry: source, detail type, detail, resources and 14 bytes of time. */
function entryBytes(event: OutboxEvent): number {
  return (
    Buffer.byteLength(context.source) +
    Buffer.byteLength(event.detailType) +
    Buffer.byteLength(event.detail) +
    event.resources.reduce((n, r) => n + Buffer.byteLength(r), 0) +
    14
  );
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The parent of the second iteration of a loop over instances. */
const LOOP_PARENT: ParentStep = {
  stepExecutionId: 'loop-1',
  stepName: 'stopAll',
  action: 'aws:loop',
  iteration: 2,
  iteratorValue: 'i-2',
};

function stepTransition(step: StepView, ordinal = 0, previousStatus: string | null = null): Transition {
  return { kind: 'step', step, previousStatus, ordinal };
}

describe('Function: eventIdOf', () => {
  it('gives the same id to the same transition', () => {
    expect(eventIdOf('exec-1', stepTransition(stepView()))).toBe(
      eventIdOf('exec-1', stepTransition(stepView())),
    );
  });

  it('is 32 lowercase hex characters', () => {
    expect(eventIdOf('exec-1', stepTransition(stepView()))).toMatch(/^[0-9a-f]{32}$/);
  });

  it('differs by status, ordinal, step, execution and kind', () => {
    // Prepare
    const base = stepTransition(stepView());
    const variants: [string, Transition][] = [
      ['exec-1', base],
      ['exec-1', stepTransition(stepView({ status: 'Success' }))],
      ['exec-1', stepTransition(stepView(), 1)],
      ['exec-1', stepTransition(stepView({ stepExecutionId: 'step-2' }))],
      ['exec-1', stepTransition(stepView({ startTime: isoAt(2) }))],
      ['exec-2', base],
      ['exec-1', { kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 }],
      ['exec-1', { kind: 'alarm', alarm: { name: 'HighCPU', state: 'ALARM' }, step: stepView(), ordinal: 0 }],
      [
        'exec-1',
        { kind: 'alarm', alarm: { name: 'DiskFull', state: 'ALARM' }, step: stepView(), ordinal: 0 },
      ],
      ['exec-1', { kind: 'alarm', alarm: { name: 'HighCPU', state: 'ALARM' }, step: null, ordinal: 0 }],
    ];

    // Act
    const ids = variants.map(([executionId, transition]) => eventIdOf(executionId, transition));

    // Assess
    expect(new Set(ids).size).toBe(variants.length);
  });

  it('gives a step the same id with or without its parent step', () => {
    const plain = stepTransition(stepView());
    const inLoop = stepTransition(stepView({ parentStep: LOOP_PARENT }));

    expect(eventIdOf('exec-1', inLoop)).toBe(eventIdOf('exec-1', plain));
  });

  it('ignores what does not identify the transition (previous status, outputs)', () => {
    const a = stepTransition(stepView({ status: 'Success' }), 1, 'InProgress');
    const b = stepTransition(stepView({ status: 'Success', outputs: { x: ['1'] } }), 1, 'Pending');

    expect(eventIdOf('exec-1', a)).toBe(eventIdOf('exec-1', b));
  });
});

describe('Function: buildEvents', () => {
  it('builds an execution event with every field of the contract', () => {
    // Prepare
    const execution = executionView({
      status: 'Failed',
      parentExecutionId: 'parent-1',
      endTime: isoAt(9),
      failureMessage: 'Step stopInstance failed',
    });
    const transition: Transition = {
      kind: 'execution',
      status: 'Failed',
      previousStatus: 'InProgress',
      ordinal: 1,
    };

    // Act
    const [event] = buildEvents(execution, [transition], context, 5);

    // Assess
    const eventId = eventIdOf('exec-1', transition);
    expect(event).toEqual({
      eventId,
      executionId: 'exec-1',
      detailType: 'Automation Execution Status Change',
      resources: [ARN],
      detail: expect.any(String),
      observedAt: isoAt(10),
      sequence: 5,
      kind: 'execution',
      ordinal: 1,
      stepExecutionId: null,
      status: 'Failed',
      previousStatus: 'InProgress',
    });
    expect(event && detailOf(event)).toEqual({
      eventId,
      account: '123456789012',
      region: 'eu-west-1',
      executionId: 'exec-1',
      documentName: 'AWS-RestartEC2Instance',
      documentVersion: '1',
      parentExecutionId: 'parent-1',
      executionStatus: 'Failed',
      observedAt: isoAt(10),
      previousStatus: 'InProgress',
      startTime: isoAt(0),
      endTime: isoAt(9),
      failureMessage: 'Step stopInstance failed',
      truncated: [],
    });
  });

  it('builds a step event with every field of the step object', () => {
    // Prepare
    const step = stepView({
      status: 'Failed',
      endTime: isoAt(4),
      onFailure: 'Abort',
      maxAttempts: 3,
      isCritical: true,
      failureMessage: 'Instance not found',
      failureDetails: { FailureStage: 'Invocation', FailureType: 'Action' },
      response: 'no such instance',
      responseCode: '400',
      inputs: { InstanceIds: '["i-1"]' },
      outputs: { 'stopInstance.CurrentState': ['stopped'] },
      targetLocation: { accounts: ['111111111111'], regions: ['eu-west-1'] },
      triggeredAlarms: [{ name: 'HighCPU', state: 'UNKNOWN' }],
      parentStep: LOOP_PARENT,
    });
    const transition = stepTransition(step, 1, 'InProgress');

    // Act
    const [event] = buildEvents(executionView(), [transition], context, 0);

    // Assess
    expect(event?.detailType).toBe('Automation Step Status Change');
    expect(event).toMatchObject({
      kind: 'step',
      ordinal: 1,
      stepExecutionId: 'step-1',
      stepName: 'stopInstance',
      status: 'Failed',
      previousStatus: 'InProgress',
      startTime: isoAt(1),
      maxAttempts: 3,
    });
    expect(event?.resources).toEqual([ARN]);
    expect(event && detailOf(event)).toEqual({
      eventId: eventIdOf('exec-1', transition),
      account: '123456789012',
      region: 'eu-west-1',
      executionId: 'exec-1',
      documentName: 'AWS-RestartEC2Instance',
      documentVersion: '1',
      parentExecutionId: null,
      executionStatus: 'InProgress',
      observedAt: isoAt(10),
      step: {
        stepExecutionId: 'step-1',
        stepName: 'stopInstance',
        action: 'aws:changeInstanceState',
        parentStep: {
          stepExecutionId: 'loop-1',
          stepName: 'stopAll',
          action: 'aws:loop',
          iteration: 2,
          iteratorValue: 'i-2',
        },
        previousStatus: 'InProgress',
        status: 'Failed',
        startTime: isoAt(1),
        endTime: isoAt(4),
        onFailure: 'Abort',
        maxAttempts: 3,
        isCritical: true,
        failureMessage: 'Instance not found',
        failureDetails: { FailureStage: 'Invocation', FailureType: 'Action' },
        response: 'no such instance',
        responseCode: '400',
        inputs: { InstanceIds: '["i-1"]' },
        outputs: { 'stopInstance.CurrentState': ['stopped'] },
        targetLocation: { accounts: ['111111111111'], regions: ['eu-west-1'] },
        triggeredAlarms: [{ name: 'HighCPU', state: 'UNKNOWN' }],
      },
      truncated: [],
    });
  });

  it('builds a step alarm event with the alarm and its step', () => {
    const step = stepView({ triggeredAlarms: [{ name: 'HighCPU', state: 'ALARM' }] });
    const transition: Transition = {
      kind: 'alarm',
      alarm: { name: 'HighCPU', state: 'ALARM' },
      step,
      ordinal: 0,
    };

    const [event] = buildEvents(executionView(), [transition], context, 0);
    const detail = event && detailOf(event);

    expect(event?.detailType).toBe('Automation Step Alarm Triggered');
    expect(event).toMatchObject({
      kind: 'alarm',
      ordinal: 0,
      stepExecutionId: 'step-1',
      alarmName: 'HighCPU',
    });
    expect(detail?.alarm).toEqual({ name: 'HighCPU', state: 'ALARM' });
    expect(detail?.step?.stepExecutionId).toBe('step-1');
    expect(detail?.step?.previousStatus).toBeNull();
    expect(detail?.step?.triggeredAlarms).toEqual([{ name: 'HighCPU', state: 'ALARM' }]);
    expect(detail?.previousStatus).toBeUndefined();
  });

  it('builds an execution alarm event with a null step', () => {
    const transition: Transition = {
      kind: 'alarm',
      alarm: { name: 'HighCPU', state: 'ALARM' },
      step: null,
      ordinal: 0,
    };

    const [event] = buildEvents(executionView(), [transition], context, 0);

    expect(event?.detailType).toBe('Automation Step Alarm Triggered');
    expect(event).toMatchObject({ kind: 'alarm', stepExecutionId: null, alarmName: 'HighCPU' });
    expect(event && detailOf(event)).toMatchObject({
      alarm: { name: 'HighCPU', state: 'ALARM' },
      step: null,
    });
  });

  it('numbers events in order from the first sequence and uses the partition in the ARN', () => {
    // Prepare
    const transitions: Transition[] = [
      { kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 },
      stepTransition(stepView()),
      stepTransition(stepView({ stepExecutionId: 'step-2' })),
    ];

    // Act
    const events = buildEvents(executionView(), transitions, { ...context, partition: 'aws-cn' }, 7);

    // Assess
    expect(events.map((e) => e.sequence)).toEqual([7, 8, 9]);
    expect(events.map((e) => e.stepExecutionId)).toEqual([null, 'step-1', 'step-2']);
    expect(events[0]?.resources).toEqual([
      'arn:aws-cn:ssm:eu-west-1:123456789012:automation-execution/exec-1',
    ]);
  });

  it('drops 1 MB of outputs so the entry fits the size limit', () => {
    // Prepare
    const step = stepView({ outputs: { big: ['x'.repeat(1_048_576)] }, response: 'ok' });

    // Act
    const [event] = buildEvents(executionView(), [stepTransition(step)], context, 0);

    // Assess
    expect(event && entryBytes(event)).toBeLessThanOrEqual(262_144);
    const detail = event && detailOf(event);
    expect(detail?.truncated).toEqual(['step.outputs']);
    expect(detail?.step?.outputs).toBeNull();
    expect(detail?.step?.response).toBe('ok');
  });

  it('cuts a long string field on a character boundary and marks it', () => {
    // Prepare: emoji (4 bytes, surrogate pairs), a ZWJ family, combining marks and CJK.
    const unit = 'e\u0301😀漢字👩‍👩‍👧a\u0308\u0323中';
    const response = unit.repeat(20_000);

    for (let limit = 8_000; limit < 8_032; limit++) {
      // Act
      const [event] = buildEvents(
        executionView(),
        [stepTransition(stepView({ response }))],
        { ...context, maxEntryBytes: limit },
        0,
      );

      // Assess
      const detail = event && detailOf(event);
      const cut = detail?.step?.response ?? '';
      expect(event && entryBytes(event)).toBeLessThanOrEqual(limit);
      expect(detail?.truncated).toEqual(['step.response']);
      expect(cut.endsWith(TRUNCATION_MARK)).toBe(true);
      const kept = cut.slice(0, -TRUNCATION_MARK.length);
      expect(kept.length).toBeGreaterThan(1_000);
      expect(response.startsWith(kept)).toBe(true);
      expect(kept).not.toMatch(/\uFFFD/);
      expect(kept).not.toMatch(LONE_SURROGATE);
    }
  });

  it('cuts a long iterator value last among larger fields, keeping the rest of the parent step', () => {
    // Prepare: an item of Iterators is user text of any length (the model sets no maximum).
    const iteratorValue = 'v'.repeat(300_000);
    const step = stepView({ parentStep: { ...LOOP_PARENT, iteratorValue }, response: 'r'.repeat(1_000) });

    // Act
    const [event] = buildEvents(executionView(), [stepTransition(step)], context, 0);

    // Assess
    const detail = event && detailOf(event);
    expect(event && entryBytes(event)).toBeLessThanOrEqual(262_144);
    expect(detail?.truncated).toEqual(['step.parentStep.iteratorValue']);
    expect(detail?.step?.parentStep).toMatchObject({
      stepExecutionId: 'loop-1',
      stepName: 'stopAll',
      action: 'aws:loop',
      iteration: 2,
    });
    expect(detail?.step?.parentStep?.iteratorValue).toMatch(/^v+…\[truncated\]$/);
    expect(detail?.step?.response).toBe('r'.repeat(1_000));
  });

  it('cuts the failure message of an execution event', () => {
    const execution = executionView({ status: 'Failed', failureMessage: 'boom '.repeat(100_000) });
    const transition: Transition = {
      kind: 'execution',
      status: 'Failed',
      previousStatus: 'InProgress',
      ordinal: 1,
    };

    const [event] = buildEvents(execution, [transition], context, 0);

    expect(event && entryBytes(event)).toBeLessThanOrEqual(262_144);
    expect(event && detailOf(event).truncated).toEqual(['failureMessage']);
    expect(event && detailOf(event).failureMessage).toMatch(/^(boom )+.*…\[truncated\]$/);
  });

  it('leaves a detail that fits untouched', () => {
    const step = stepView({ response: 'ok', outputs: { a: ['b'] } });

    const [event] = buildEvents(executionView(), [stepTransition(step)], context, 0);

    expect(event && detailOf(event)).toMatchObject({
      truncated: [],
      step: { response: 'ok', outputs: { a: ['b'] } },
    });
  });

  it('throws EventTooLargeError when even dropping every large field cannot fit', () => {
    const build = () =>
      buildEvents(executionView(), [stepTransition(stepView())], { ...context, maxEntryBytes: 100 }, 0);

    expect(build).toThrow(EventTooLargeError);
    expect(build).toThrow(/exec-1/);
  });
});

describe('Function: parseEventDetail', () => {
  it('reads back every detail buildEvents makes', () => {
    // Prepare
    const transitions: Transition[] = [
      { kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 },
      stepTransition(stepView({ outputs: { k: ['v'] } }), 1, 'Pending'),
      stepTransition(stepView({ stepExecutionId: 'step-2', parentStep: LOOP_PARENT }), 0, null),
      { kind: 'alarm', alarm: { name: 'HighCPU', state: 'ALARM' }, step: null, ordinal: 0 },
    ];

    // Act
    const events = buildEvents(executionView(), transitions, context, 0);

    // Assess
    for (const event of events) expect(parseEventDetail(event.detail)).toEqual(JSON.parse(event.detail));
  });

  it('throws an UnreadableDetailError naming why a detail cannot be used', () => {
    expect(() => parseEventDetail('{"eventId":')).toThrowError(
      new UnreadableDetailError('detail is not valid JSON'),
    );
    expect(() => parseEventDetail('[1]')).toThrowError(
      new UnreadableDetailError('detail is not a JSON object'),
    );
    expect(() => parseEventDetail('{"eventId":"e"}')).toThrowError(
      new UnreadableDetailError('detail without executionId or eventId'),
    );
  });

  it('drops a step or alarm of the wrong shape and defaults the common fields', () => {
    const detail = parseEventDetail(
      JSON.stringify({ eventId: 'e', executionId: 'x', step: { stepName: 3 }, alarm: 'x' }),
    );

    expect(detail).toMatchObject({
      eventId: 'e',
      executionId: 'x',
      step: null,
      documentName: '',
      executionStatus: '',
      observedAt: '',
      parentExecutionId: null,
      truncated: [],
    });
    expect(detail).not.toHaveProperty('alarm');
  });

  it('reads a step stored without parentStep, or with one of the wrong shape, as having none', () => {
    const base = { eventId: 'e', executionId: 'x', step: { stepName: 'a', status: 'Success' } };

    const before = parseEventDetail(JSON.stringify(base));
    const damaged = parseEventDetail(JSON.stringify({ ...base, step: { ...base.step, parentStep: 'loop' } }));
    const partial = parseEventDetail(
      JSON.stringify({ ...base, step: { ...base.step, parentStep: { stepName: 'loop', iteration: '2' } } }),
    );

    expect(before.step?.parentStep).toBeNull();
    expect(damaged.step?.parentStep).toBeNull();
    expect(partial.step?.parentStep).toEqual({
      stepExecutionId: null,
      stepName: 'loop',
      action: null,
      iteration: null,
      iteratorValue: null,
    });
  });
});
