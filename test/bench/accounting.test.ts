// Tests of the bench's accounting: the data bound of a cycle from the scenario, and the delivery check.
import { describe, expect, it } from 'vitest';
import { checkDelivery, cycleBound } from '../../bench/accounting';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import type { Scenario, ScenarioExecution, ScenarioStep } from '../../sandbox/scenario';
import type { GroundTruthEntry } from '../../sandbox/ssm-simulator';

const T0 = Date.parse('2026-11-25T00:00:00Z');
const at = (seconds: number): number => T0 + seconds * 1000;

/** A 36-character id from a block of 8 hex digits and a number. */
function id(block: string, n: number): string {
  return `${block}-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** A step that runs from `start` to `end` (open when `end` is undefined), or never when `start` is. */
function step(n: number, start?: number, end?: number, extra: Partial<ScenarioStep> = {}): ScenarioStep {
  const timeline =
    start === undefined
      ? []
      : [{ at: start, status: 'InProgress' }, ...(end === undefined ? [] : [{ at: end, status: 'Success' }])];
  return { id: id('5e000000', n), name: `step${n}`, action: 'aws:runCommand', timeline, ...extra };
}

function execution(
  n: number,
  timeline: ScenarioExecution['timeline'],
  steps: ScenarioStep[],
  parentId: string | null = null,
): ScenarioExecution {
  return { id: id('e0000000', n), documentName: 'Doc', parentId, timeline, steps };
}

function scenario(...executions: ScenarioExecution[]): Scenario {
  return { name: 'accounting', executions };
}

/** `count` steps numbered from `from`, each started at `start` + its index and ended 1 s later. */
function finished(from: number, count: number, start: number): ScenarioStep[] {
  return Array.from({ length: count }, (_, i) => step(from + i, start + i, start + i + 1));
}

describe('Function: cycleBound', () => {
  it('counts every listed step on first sight, planned ones included, and not steps made later', () => {
    const steps = [
      ...finished(1, 60, 100),
      step(61, 170),
      ...Array.from({ length: 59 }, (_, i) => step(62 + i)),
      step(200, 500, 510, { plannedUpFront: false }),
    ];
    const bound = cycleBound(scenario(execution(1, [{ at: 100, status: 'InProgress' }], steps)), 60, 180);

    expect(bound.perExecution).toEqual([
      {
        executionId: id('e0000000', 1),
        documentName: 'Doc',
        child: false,
        reason: 'first',
        steps: 120,
        pages: 3,
      },
    ]);
    expect(bound.stepPages).toBe(3);
  });

  it('counts the steps open at the previous poll and those started since, not settled or not-started ones', () => {
    const steps = [
      ...finished(1, 40, 0),
      ...Array.from({ length: 55 }, (_, i) => step(41 + i, 50, 150)),
      ...finished(96, 8, 130),
      ...Array.from({ length: 30 }, (_, i) => step(104 + i)),
    ];
    const bound = cycleBound(scenario(execution(1, [{ at: 0, status: 'InProgress' }], steps)), 120, 180);

    expect(bound.perExecution[0]).toMatchObject({ reason: 'open', steps: 63, pages: 2 });
    expect(bound.inFlight).toBe(1);
  });

  it('reads one page of an execution in flight whose steps cannot have changed', () => {
    const steps = [...finished(1, 5, 0), step(6)];
    const bound = cycleBound(scenario(execution(1, [{ at: 0, status: 'InProgress' }], steps)), 120, 180);

    expect(bound.perExecution[0]).toMatchObject({ reason: 'open', steps: 0, pages: 1 });
  });

  it('counts every listed step once after the end, and nothing for an execution ended before', () => {
    const ended = execution(
      1,
      [
        { at: 0, status: 'InProgress' },
        { at: 150, status: 'Failed' },
      ],
      [...finished(1, 51, 0), step(52)],
    );
    const endedLongBefore = execution(
      2,
      [
        { at: 0, status: 'InProgress' },
        { at: 10, status: 'Success' },
      ],
      finished(53, 3, 0),
    );
    const bound = cycleBound(scenario(ended, endedLongBefore), 120, 180);

    expect(bound.perExecution).toEqual([
      {
        executionId: id('e0000000', 1),
        documentName: 'Doc',
        child: false,
        reason: 'ended',
        steps: 52,
        pages: 2,
      },
    ]);
    expect(bound).toMatchObject({ executions: 1, inFlight: 0, ended: 1, listPages: 2, stepPages: 2 });
  });

  it('needs at least one page of each listing, and 50 executions a page', () => {
    const running = Array.from({ length: 51 }, (_, i) =>
      execution(i + 1, [{ at: 0, status: 'InProgress' }], []),
    );

    expect(cycleBound(scenario(...running), 120, 180)).toMatchObject({
      inFlight: 51,
      ended: 0,
      listPages: 3,
    });
    expect(cycleBound(scenario(), 120, 180)).toMatchObject({ executions: 0, listPages: 2, stepPages: 0 });
  });

  it('sweeps an execution that ended within the lag before the previous poll read it', () => {
    const parent = execution(1, [{ at: 0, status: 'InProgress' }], []);
    const child = execution(
      2,
      [
        { at: 10, status: 'InProgress' },
        { at: 100, status: 'Success' },
      ],
      [],
      parent.id,
    );
    const endedEarlier = execution(
      3,
      [
        { at: 0, status: 'InProgress' },
        { at: 50, status: 'Success' },
      ],
      [],
    );
    const bound = cycleBound(scenario(parent, child, endedEarlier), 120, 180, 60);

    expect(bound.lagSweeps).toEqual([child.id]);
    expect(cycleBound(scenario(parent, child, endedEarlier), 120, 180, 10).lagSweeps).toEqual([]);
  });

  it('marks a child execution as one', () => {
    const parent = execution(1, [{ at: 0, status: 'InProgress' }], []);
    const child = execution(2, [{ at: 10, status: 'InProgress' }], [], parent.id);

    expect(cycleBound(scenario(parent, child), 120, 180).perExecution.map((e) => e.child)).toEqual([
      false,
      true,
    ]);
  });
});

const EXECUTION = id('e0000000', 1);
const STEP = id('5e000000', 1);

function recorded(eventId: string, detail: Record<string, unknown>): RecordedEvent {
  const full: Record<string, unknown> = { eventId, executionId: EXECUTION, ...detail };
  return {
    eventId: `eb-${eventId}`,
    source: 'ssm-step-watch',
    detailType: full.step ? 'Automation Step Status Change' : 'Automation Execution Status Change',
    detail: full,
    detailRaw: JSON.stringify(full),
    resources: [],
    eventBusName: 'bench',
    time: '2026-11-25T00:00:00Z',
    receivedAt: 0,
    call: 1,
  };
}

function stepEvent(eventId: string, previousStatus: string | null, status: string): RecordedEvent {
  return recorded(eventId, {
    executionStatus: 'InProgress',
    step: { stepExecutionId: STEP, previousStatus, status },
  });
}

function executionEvent(eventId: string, previousStatus: string | null, status: string): RecordedEvent {
  return recorded(eventId, { executionStatus: status, previousStatus, step: null });
}

/** The truth of one execution from 0 s and its planned step 1, which starts at 30 s and ends at 90 s. */
const TRUTH: GroundTruthEntry[] = [
  { kind: 'execution', executionId: EXECUTION, status: 'InProgress', previousStatus: null, at: at(0) },
  {
    kind: 'step',
    executionId: EXECUTION,
    stepExecutionId: STEP,
    status: 'InProgress',
    previousStatus: 'Pending',
    at: at(30),
  },
  {
    kind: 'step',
    executionId: EXECUTION,
    stepExecutionId: STEP,
    status: 'Success',
    previousStatus: 'InProgress',
    at: at(90),
  },
];

describe('Function: checkDelivery', () => {
  it('expects a planned step to start from Pending when a poll saw its execution before it started', () => {
    const events = [
      executionEvent('e1', null, 'InProgress'),
      stepEvent('s1', 'Pending', 'InProgress'),
      stepEvent('s2', 'InProgress', 'Success'),
    ];

    expect(checkDelivery(TRUTH, events, [at(10), at(60), at(120)])).toEqual({
      lost: 0,
      duplicates: 0,
      unexpected: 0,
      expected: 3,
      samples: [],
    });
  });

  it('expects a first status from null when no poll saw the step before it started', () => {
    const fromPending = [executionEvent('e1', null, 'InProgress'), stepEvent('s1', 'Pending', 'Success')];
    const fromNull = [executionEvent('e1', null, 'InProgress'), stepEvent('s1', null, 'Success')];
    const polls = [at(100)];

    expect(checkDelivery(TRUTH, fromNull, polls)).toMatchObject({ lost: 0, unexpected: 0, expected: 2 });
    expect(checkDelivery(TRUTH, fromPending, polls)).toMatchObject({
      lost: 1,
      unexpected: 1,
      samples: [`lost step|${STEP}|null>Success`, `unexpected step|${STEP}|Pending>Success`],
    });
  });

  it('counts an event for a step that never started as unexpected, and a repeated eventId as a duplicate', () => {
    const events = [
      executionEvent('e1', null, 'InProgress'),
      executionEvent('e1', null, 'InProgress'),
      stepEvent('s0', null, 'Pending'),
    ];

    expect(checkDelivery(TRUTH.slice(0, 1), events, [at(10)])).toMatchObject({
      lost: 0,
      duplicates: 1,
      unexpected: 1,
      expected: 1,
    });
  });
});
