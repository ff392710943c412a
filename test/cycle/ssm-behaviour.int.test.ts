// Over the wire: the poller under every value of each SSM switch — exactly the events it emits, the reads it makes.
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoHistoryReader } from '../../lambda/adapters/dynamodb/history-reader';
import type { CycleSummary, PollCycleOptions } from '../../lambda/cycle/poll-cycle';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import { rateControlRun, rateControlTargets } from '../../sandbox/rate-control';
import type { ScenarioExecution, ScenarioStep } from '../../sandbox/scenario';
import {
  BEHAVIOUR_SWITCHES,
  MAX_VISIBILITY_LAG_SECONDS,
  pendingStepExecutionId,
  type SsmBehaviour,
  stepVisibilityLagMs,
} from '../../sandbox/ssm-behaviour';
import type { PayloadMutator } from '../../sandbox/ssm-simulator';
import {
  execution,
  type Harness,
  idOf,
  sequentialSteps,
  startHarness,
  step,
  transitionsOf,
} from '../helpers/harness';
import {
  executionTransitionsOf,
  expectedExecutionTransitions,
  expectedStepTransitionsPerRead,
  loggedPoller,
  recordStepReads,
  stepEventsOf,
} from '../helpers/observers';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** Starts the harness with a behaviour (every switch not named at its documented default). */
async function start(
  executions: Parameters<typeof startHarness>[0],
  behaviour: Partial<SsmBehaviour> = {},
): Promise<Harness> {
  harness = await startHarness(executions, { behaviour });
  return harness;
}

/** Runs one cycle at each time (seconds after the scenario start); returns each cycle's events. */
async function transitionsPerCycle(
  h: Harness,
  times: readonly number[],
  options: Partial<PollCycleOptions> = {},
): Promise<string[][]> {
  const perCycle: string[][] = [];
  for (const t of times) {
    const before = h.events().length;
    h.at(t);
    await h.cycle(options);
    perCycle.push(transitionsOf(h.events().slice(before)));
  }
  return perCycle;
}

/** The `eventId` of every recorded event. */
function eventIds(h: Harness): string[] {
  return h.events().map((e) => (e.detail as { eventId: string }).eventId);
}

/** `id:status:startTime` of each step snapshot the store keeps for an execution, sorted. */
async function storedSteps(h: Harness, executionId: string): Promise<string[]> {
  const state = await h.poller.deps.store.loadExecution(executionId);
  return [...(state?.steps.values() ?? [])]
    .map((s) => `${s.stepExecutionId}:${s.status}:${s.startTime ?? 'none'}`)
    .sort();
}

/** A step timeline with a failure message on its last entry. */
function failing(n: number, start: number, end: number, extra: Partial<ScenarioStep> = {}): ScenarioStep {
  return {
    ...step(n, []),
    timeline: [
      { at: start, status: 'InProgress' },
      { at: end, status: 'Failed', failureMessage: `Step step${n} failed maximum allowed times.` },
    ],
    ...extra,
  };
}

describe('Steps not started (documented: Pending, no start time, listed up front)', () => {
  it.each([
    {
      ending: 'a failure after retries',
      run: execution(
        1,
        [
          [0, 'InProgress'],
          [40, 'Failed'],
        ],
        [
          ...sequentialSteps(1, 2, 0, 10),
          failing(3, 20, 40, { maxAttempts: 2 }),
          step(4, []),
          step(5, []),
          step(6, []),
        ],
      ),
      times: [5, 15, 25, 45, 105, 165],
      expected: [
        ['execution:0001:null>InProgress', 'step:0001:null>InProgress'],
        ['step:0001:InProgress>Success', 'step:0002:Pending>InProgress'],
        ['step:0002:InProgress>Success', 'step:0003:Pending>InProgress'],
        ['step:0003:InProgress>Failed', 'execution:0001:InProgress>Failed'],
        [],
        [],
      ],
      stored: [
        '0001:Success:2026-11-25T12:00:00.000Z',
        '0002:Success:2026-11-25T12:00:10.000Z',
        '0003:Failed:2026-11-25T12:00:20.000Z',
        '0004:Pending:none',
        '0005:Pending:none',
        '0006:Pending:none',
      ],
    },
    {
      ending: 'a cancel by an alarm, with an onCancel step',
      run: execution(
        1,
        [
          [0, 'InProgress'],
          [25, 'Cancelling'],
          [36, 'Cancelled'],
        ],
        [
          ...sequentialSteps(1, 2, 0, 10),
          step(3, [
            [20, 'InProgress'],
            [25, 'Cancelled'],
          ]),
          step(4, []),
          step(5, []),
          step(
            9,
            [
              [25, 'InProgress'],
              [35, 'Success'],
            ],
            { name: 'rollback' },
          ),
        ],
        {
          alarms: [
            { at: 3, name: 'RunbookHealthAlarm', state: 'UNKNOWN' },
            { at: 25, name: 'RunbookHealthAlarm', state: 'ALARM' },
          ],
        },
      ),
      times: [5, 15, 22, 30, 40, 100],
      expected: [
        ['execution:0001:null>InProgress', 'step:0001:null>InProgress'],
        ['step:0001:InProgress>Success', 'step:0002:Pending>InProgress'],
        ['step:0002:InProgress>Success', 'step:0003:Pending>InProgress'],
        [
          'execution:0001:InProgress>Cancelling',
          'step:0003:InProgress>Cancelled',
          'step:0009:Pending>InProgress',
          'alarm:0001:RunbookHealthAlarm',
        ],
        ['step:0009:InProgress>Success', 'execution:0001:Cancelling>Cancelled'],
        [],
      ],
      stored: [
        '0001:Success:2026-11-25T12:00:00.000Z',
        '0002:Success:2026-11-25T12:00:10.000Z',
        '0003:Cancelled:2026-11-25T12:00:20.000Z',
        '0004:Pending:none',
        '0005:Pending:none',
        '0009:Success:2026-11-25T12:00:25.000Z',
      ],
    },
  ])(
    'sends nothing for a step until it starts, Pending before its first event, nothing ever for a step never run, after $ending',
    async ({ run, times, expected, stored }) => {
      // Prepare
      const h = await start([run]);

      // Act
      const perCycle = await transitionsPerCycle(h, times);

      // Assess: the audit snapshot keeps the steps that never ran, Pending without start time.
      expect(perCycle).toEqual(expected);
      expect((await storedSteps(h, idOf('e', 1))).map((s) => s.slice(32))).toEqual(stored);
    },
  );
});

describe('Switches reverseOrderUnstarted and startTimeTies (U1, U2: where ReverseOrder sorts)', () => {
  const combinations = BEHAVIOUR_SWITCHES.reverseOrderUnstarted.flatMap((reverseOrderUnstarted) =>
    BEHAVIOUR_SWITCHES.startTimeTies.map((startTimeTies) => ({ reverseOrderUnstarted, startTimeTies })),
  );

  it.each(combinations)(
    'emits the same events with the same calls under rev=$reverseOrderUnstarted and ties=$startTimeTies, never asking for ReverseOrder',
    async (behaviour) => {
      // Prepare: steps 1 and 2 start together (a tie), then 55 sequential steps: 57 listed up front.
      const h = await start(
        [
          execution(
            1,
            [[0, 'InProgress']],
            [
              ...[1, 2].map((n) =>
                step(n, [
                  [0, 'InProgress'],
                  [30, 'Success'],
                ]),
              ),
              ...sequentialSteps(3, 55, 30, 10),
            ],
          ),
        ],
        behaviour,
      );
      const reads = recordStepReads(h);

      // Act
      const perCycle = await transitionsPerCycle(h, [5, 35, 95]);

      // Assess
      expect(perCycle).toEqual([
        ['execution:0001:null>InProgress', 'step:0001:null>InProgress', 'step:0002:null>InProgress'],
        ['step:0001:InProgress>Success', 'step:0002:InProgress>Success', 'step:0003:Pending>InProgress'],
        [
          'step:0003:InProgress>Success',
          'step:0004:Pending>Success',
          'step:0005:Pending>Success',
          'step:0006:Pending>Success',
          'step:0007:Pending>Success',
          'step:0008:Pending>Success',
          'step:0009:Pending>InProgress',
        ],
      ]);
      expect(h.stack.ssm.callCounts()).toEqual({
        DescribeAutomationExecutions: 6,
        DescribeAutomationStepExecutions: 4,
      });
      expect(reads.requests.filter((r) => r.input.ReverseOrder !== undefined)).toEqual([]);
    },
  );
});

describe('Switch unstartedStepIds (U3: the id of a step not started)', () => {
  it.each(BEHAVIOUR_SWITCHES.unstartedStepIds)(
    'emits each step under its started id, from Pending, once, and keeps no stale planned entry with ids=%s',
    async (unstartedStepIds) => {
      // Prepare: step 3 starts and ends between two polls; step 5 is never run.
      const h = await start(
        [
          execution(
            1,
            [
              [0, 'InProgress'],
              [45, 'Success'],
            ],
            [
              ...sequentialSteps(1, 3, 0, 10),
              step(4, [
                [30, 'InProgress'],
                [45, 'Success'],
              ]),
              step(5, []),
            ],
          ),
        ],
        { unstartedStepIds },
      );

      // Act
      const perCycle = await transitionsPerCycle(h, [5, 15, 35, 50, 110]);

      // Assess
      expect(perCycle).toEqual([
        ['execution:0001:null>InProgress', 'step:0001:null>InProgress'],
        ['step:0001:InProgress>Success', 'step:0002:Pending>InProgress'],
        ['step:0002:InProgress>Success', 'step:0003:Pending>Success', 'step:0004:Pending>InProgress'],
        ['step:0004:InProgress>Success', 'execution:0001:InProgress>Success'],
        [],
      ]);
      const ids = eventIds(h);
      expect(new Set(ids).size).toBe(ids.length);
      const neverRun = {
        stable: idOf('s', 5),
        absent: 'planned:step5',
        changeOnStart: pendingStepExecutionId(idOf('s', 5)),
      }[unstartedStepIds];
      expect(await storedSteps(h, idOf('e', 1))).toEqual(
        [
          `${idOf('s', 1)}:Success:2026-11-25T12:00:00.000Z`,
          `${idOf('s', 2)}:Success:2026-11-25T12:00:10.000Z`,
          `${idOf('s', 3)}:Success:2026-11-25T12:00:20.000Z`,
          `${idOf('s', 4)}:Success:2026-11-25T12:00:30.000Z`,
          `${neverRun}:Pending:none`,
        ].sort(),
      );
    },
  );
});

/** An `aws:executeAutomation` step of a parent that runs child execution `child` from `start` to `end`. */
function launching(n: number, child: number, start: number, end: number): ScenarioStep {
  const outputs = { ExecutionId: [idOf('e', child)] };
  return {
    ...step(n, []),
    action: 'aws:executeAutomation',
    timeline: [
      { at: start, status: 'InProgress', outputs },
      { at: end, status: 'Success', outputs: { ...outputs, Status: ['Success'] } },
    ],
  };
}

describe('Switch childListing (U4: whether the execution listing shows child executions)', () => {
  it.each(BEHAVIOUR_SWITCHES.childListing)(
    'follows aws:executeAutomation children from the cycle their parent shows them, one started and ended between polls, with children=%s',
    async (childListing) => {
      // Prepare: the parent's step 1 runs child 2 (10–50), its step 2 runs child 3 (60–70) between polls.
      const h = await start(
        [
          execution(
            1,
            [
              [0, 'InProgress'],
              [90, 'Success'],
            ],
            [
              launching(1, 2, 10, 50),
              launching(2, 3, 60, 70),
              step(3, [
                [75, 'InProgress'],
                [90, 'Success'],
              ]),
            ],
          ),
          execution(
            2,
            [
              [10, 'InProgress'],
              [50, 'Success'],
            ],
            sequentialSteps(21, 2, 10, 20),
            { parentId: idOf('e', 1) },
          ),
          execution(
            3,
            [
              [60, 'InProgress'],
              [70, 'Success'],
            ],
            sequentialSteps(31, 1, 60, 10),
            { parentId: idOf('e', 1) },
          ),
        ],
        { childListing },
      );

      // Act
      const perCycle = await transitionsPerCycle(h, [5, 15, 35, 55, 80, 95, 155]);

      // Assess
      expect(perCycle).toEqual([
        ['execution:0001:null>InProgress'],
        ['step:0001:Pending>InProgress', 'execution:0002:null>InProgress', 'step:0021:null>InProgress'],
        ['step:0021:InProgress>Success', 'step:0022:Pending>InProgress'],
        ['step:0001:InProgress>Success', 'step:0022:InProgress>Success', 'execution:0002:InProgress>Success'],
        [
          'step:0002:Pending>Success',
          'step:0003:Pending>InProgress',
          'step:0031:null>Success',
          'execution:0003:null>Success',
        ],
        ['step:0003:InProgress>Success', 'execution:0001:InProgress>Success'],
        [],
      ]);
    },
  );

  it.each(BEHAVIOUR_SWITCHES.childListing)(
    'emits every transition of every rate-control child from the cycle its parent shows it, with children=%s',
    async (childListing) => {
      // Prepare: six targets, two at a time; i-b and i-f run between two polls, i-e fails.
      const run = rateControlRun({
        parentId: idOf('e', 1),
        targets: [
          { name: 'i-a', durationSeconds: 25 },
          { name: 'i-b', durationSeconds: 5 },
          { name: 'i-c', durationSeconds: 25 },
          { name: 'i-d', durationSeconds: 5 },
          { name: 'i-e', durationSeconds: 12, outcome: 'Failed' },
          { name: 'i-f', durationSeconds: 8 },
        ],
        maxConcurrency: 2,
      });
      const h = await start(run, { childListing });
      const times = [0.5, 10, 20, 30, 40, 50, 60, 120];

      // Act
      const perCycle = await eventsPerCycle(h, times);

      // Assess: two children ran between polls; every one is exactly as the ground truth read then.
      expect(run.slice(1).filter((c) => times.every((t) => !inside(c.timeline, t)))).toHaveLength(2);
      expectEveryExecutionAsRead(h, run, times, perCycle);
    },
  );

  it.each(BEHAVIOUR_SWITCHES.childListing)(
    'follows more than ten children of one parent at once, with children=%s',
    async (childListing) => {
      // Prepare: 24 targets, 12 at a time, one in five failing.
      const run = rateControlRun({
        parentId: idOf('e', 1),
        targets: rateControlTargets(24, 3, { minSeconds: 5, maxSeconds: 40, failureRate: 0.2 }),
        maxConcurrency: 12,
      });
      const h = await start(run, { childListing });
      const reads = recordStepReads(h);
      const times = [0.5, 20, 40, 60, 80, 140];

      // Act
      const perCycle = await eventsPerCycle(h, times);

      // Assess
      expectEveryExecutionAsRead(h, run, times, perCycle);
      const byId = reads.requests.filter((r) => r.input.Filters?.some((f) => f.Key === 'ExecutionId'));
      // Children listed only on request are asked for by id, ten a call, as the cycle reaches them;
      // children the listing shows may be too, once ended and still watched.
      if (childListing === 'onRequest') {
        expect(byId.length).toBeGreaterThan(0);
        expect(byId.every((r) => (r.input.Filters?.[0]?.Values?.length ?? 0) <= 10)).toBe(true);
      }
    },
  );
});

/** Runs one cycle at each time; returns each cycle's events. */
async function eventsPerCycle(h: Harness, times: readonly number[]): Promise<RecordedEvent[][]> {
  const perCycle: RecordedEvent[][] = [];
  for (const t of times) {
    const before = h.events().length;
    h.at(t);
    await h.cycle();
    perCycle.push(h.events().slice(before));
  }
  return perCycle;
}

/**
 * Asserts that each execution's first event came in the first cycle at or after its start, and that
 * its execution and step transitions are exactly those of the ground truth read at those times;
 * and that no event was sent twice.
 */
function expectEveryExecutionAsRead(
  h: Harness,
  executions: readonly ScenarioExecution[],
  times: readonly number[],
  perCycle: readonly RecordedEvent[][],
): void {
  for (const execution of executions) {
    const firstCycle = times.findIndex((t) => t >= (execution.timeline[0]?.at ?? 0));
    expect(perCycle.findIndex((events) => ofExecution(events, execution.id).length > 0)).toBe(firstCycle);
    expect(executionTransitionsOf(h.events(), execution.id)).toEqual(
      expectedExecutionTransitions(h.stack.ssm, execution.id, times),
    );
    expect(perCycle.map((events) => stepEventsOf(events, execution.id))).toEqual(
      expectedStepTransitionsPerRead(h.stack.ssm, execution.id, times),
    );
  }
  const ids = eventIds(h);
  expect(new Set(ids).size).toBe(ids.length);
}

/** Whether a poll at `t` falls while the timeline runs (from its first entry to its last). */
function inside(timeline: readonly { readonly at: number }[], t: number): boolean {
  return (timeline[0]?.at ?? 0) <= t && t < (timeline.at(-1)?.at ?? 0);
}

/** The events of one execution. */
function ofExecution(events: readonly RecordedEvent[], executionId: string): RecordedEvent[] {
  return events.filter((e) => (e.detail as { executionId: string }).executionId === executionId);
}

/**
 * Moves the clock to `seconds` once, right after SSM answers the first page of `operation` that
 * has a next page; returns the ids each answer of `operation` listed, to see what SSM served.
 */
function moveClockBetweenPages(h: Harness, operation: string, seconds: number): string[][] {
  const answers: string[][] = [];
  let moved = false;
  h.stack.ssm.setPayloadMutator((answered, body) => {
    if (answered !== operation) return;
    const items = (body.StepExecutions ?? body.AutomationExecutionMetadataList ?? []) as {
      StepExecutionId?: string;
      AutomationExecutionId?: string;
    }[];
    answers.push(items.map((item) => (item.StepExecutionId ?? item.AutomationExecutionId ?? '').slice(-4)));
    if (moved || body.NextToken === undefined) return;
    moved = true;
    h.at(seconds);
  });
  return answers;
}

/** Ids listed more than once across answers. */
function repeated(answers: readonly string[][]): string[] {
  const all = answers.flat();
  return all.filter((id, i) => all.indexOf(id) !== i);
}

/** `n` as the last four digits `transitionsOf` shows. */
const tag = (n: number): string => String(n).padStart(4, '0');

describe('Switch nextToken (U5: whether a NextToken is a position)', () => {
  it.each(BEHAVIOUR_SWITCHES.nextToken)(
    'loses, repeats and reorders nothing when a step starts between two pages of one listing, with token=%s',
    async (nextToken) => {
      // Prepare: 48 one-second steps, then a branch (step 49) that jumps to step 53: steps 50–52 never
      // run. 60 steps listed; the first read's page 1 ends at step 50, and step 53 starts before page 2.
      const h = await start(
        [
          execution(
            1,
            [
              [0, 'InProgress'],
              [75, 'Success'],
            ],
            [
              ...sequentialSteps(1, 48, 0, 1),
              step(
                49,
                [
                  [48, 'InProgress'],
                  [49, 'Success'],
                ],
                { action: 'aws:branch' },
              ),
              step(50, []),
              step(51, []),
              step(52, []),
              step(53, [
                [49, 'InProgress'],
                [60, 'Success'],
              ]),
              ...sequentialSteps(54, 7, 60, 2),
            ],
          ),
        ],
        { nextToken },
      );
      const answers = moveClockBetweenPages(h, 'DescribeAutomationStepExecutions', 49.5);

      // Act
      const perCycle = await transitionsPerCycle(h, [48.5, 55, 65, 80]);

      // Assess: the first read's two pages repeat step 50 with offset tokens, and neither has step 53.
      const firstRead = answers.slice(0, 2);
      expect(repeated(firstRead)).toEqual(nextToken === 'offset' ? ['0050'] : []);
      expect(firstRead.flat()).not.toContain('0053');

      // Step 53 moved out of the part page 2 lists, so the first read misses it; the next read has
      // it (from null: this poller never saw it Pending).
      expect(perCycle).toEqual([
        [
          'execution:0001:null>InProgress',
          ...Array.from({ length: 48 }, (_, i) => `step:${tag(i + 1)}:null>Success`),
          'step:0049:null>InProgress',
        ],
        ['step:0049:InProgress>Success', 'step:0053:null>InProgress'],
        [
          'step:0053:InProgress>Success',
          'step:0054:Pending>Success',
          'step:0055:Pending>Success',
          'step:0056:Pending>InProgress',
        ],
        [
          'step:0056:InProgress>Success',
          'step:0057:Pending>Success',
          'step:0058:Pending>Success',
          'step:0059:Pending>Success',
          'step:0060:Pending>Success',
          'execution:0001:InProgress>Success',
        ],
      ]);
      const ids = eventIds(h);
      expect(new Set(ids).size).toBe(ids.length);
      expect((await storedSteps(h, idOf('e', 1))).filter((s) => s.includes(':Pending:'))).toEqual(
        [50, 51, 52].map((n) => `${idOf('s', n)}:Pending:none`),
      );
    },
  );

  it.each(BEHAVIOUR_SWITCHES.nextToken)(
    'emits every execution once when one starts between two pages of the in-flight listing, with token=%s',
    async (nextToken) => {
      // Prepare: 51 executions in flight; execution 52 starts while the listing is read.
      const startOf = (i: number): number => (i === 51 ? 10.5 : i / 10);
      const runs = Array.from({ length: 52 }, (_, i) =>
        execution(
          i + 1,
          [
            [startOf(i), 'InProgress'],
            [100, 'Success'],
          ],
          [
            step(i + 1, [
              [startOf(i), 'InProgress'],
              [100, 'Success'],
            ]),
          ],
        ),
      );
      const h = await start(runs, { nextToken });
      const answers = moveClockBetweenPages(h, 'DescribeAutomationExecutions', 11);

      // Act
      const [events] = await transitionsPerCycle(h, [10]);

      // Assess: the in-flight listing's page 2 repeats execution 2 with offset tokens.
      expect(answers.slice(0, 2).map((ids) => ids.length)).toEqual(
        nextToken === 'offset' ? [50, 2] : [50, 1],
      );
      expect(repeated(answers.slice(0, 2))).toEqual(nextToken === 'offset' ? ['0002'] : []);
      expect(events).toEqual(
        runs.flatMap((_, i) => [
          `execution:${tag(i + 1)}:null>InProgress`,
          `step:${tag(i + 1)}:null>InProgress`,
        ]),
      );
    },
  );
});

describe('Switch startTimeFilter (U6: whether StartTimeAfter keeps an item that started exactly then)', () => {
  it.each(BEHAVIOUR_SWITCHES.startTimeFilter)(
    'emits the same events when a step and an execution start exactly on the filter value, with bounds=%s',
    async (startTimeFilter) => {
      // Prepare: both executions start at 100 s. Execution 1's step 1 (100–101) sits exactly on the
      // window's StartTimeAfter in the second cycle, and execution 2, ended between the polls, exactly
      // on the execution listing's StartTimeAfter (the watermark less the overlap, 299 s here, less the
      // second of margin every start-time window takes).
      const h = await start(
        [
          execution(
            1,
            [
              [100, 'InProgress'],
              [500, 'Success'],
            ],
            [
              step(1, [
                [100, 'InProgress'],
                [101, 'Success'],
              ]),
              step(2, [
                [101, 'InProgress'],
                [500, 'Success'],
              ]),
              step(3, [
                [162, 'InProgress'],
                [500, 'Success'],
              ]),
            ],
          ),
          execution(
            2,
            [
              [100, 'InProgress'],
              [430, 'Success'],
            ],
            [
              step(21, [
                [100, 'InProgress'],
                [430, 'Success'],
              ]),
            ],
          ),
        ],
        { startTimeFilter },
      );
      const reads = recordStepReads(h);

      // Act
      const perCycle = await transitionsPerCycle(h, [400, 460, 520], { watermarkOverlapSeconds: 299 });

      // Assess
      expect(perCycle).toEqual([
        [
          'execution:0001:null>InProgress',
          'step:0001:null>Success',
          'step:0002:null>InProgress',
          'step:0003:null>InProgress',
          'execution:0002:null>InProgress',
          'step:0021:null>InProgress',
        ],
        ['step:0021:InProgress>Success', 'execution:0002:InProgress>Success'],
        ['step:0002:InProgress>Success', 'step:0003:InProgress>Success', 'execution:0001:InProgress>Success'],
      ]);
      const ids = eventIds(h);
      expect(new Set(ids).size).toBe(ids.length);
      const startedAfter = (operation: string) =>
        reads.requests
          .filter((r) => r.operation === operation)
          .flatMap((r) => r.input.Filters?.find((f) => f.Key === 'StartTimeAfter')?.Values ?? []);
      expect(startedAfter('DescribeAutomationStepExecutions')).toContain('2026-11-25T12:01:40Z');
      expect(startedAfter('DescribeAutomationExecutions')).toContain('2026-11-25T12:01:40Z');
      // An exclusive listing leaves execution 2 out, so it is asked for by id. Five step reads: each
      // execution's reads; the read after each end lists every step started, which settles it.
      expect(h.stack.ssm.callCounts()).toEqual({
        DescribeAutomationExecutions: startTimeFilter === 'exclusive' ? 8 : 7,
        DescribeAutomationStepExecutions: 5,
      });
    },
  );
});

describe('Switch visibilityLagSeconds (U7: a step shows up late, older than steps already listed)', () => {
  it.each([0, 30, MAX_VISIBILITY_LAG_SECONDS])(
    'emits a step that starts just before its execution ends and shows up after the end, with lag=%i',
    async (visibilityLagSeconds) => {
      // Prepare: step 11 shows up nearly the whole lag after its start at 185 s; the run ends at 200 s.
      harness = await startHarness(
        [
          execution(
            1,
            [
              [0, 'InProgress'],
              [200, 'Success'],
            ],
            [
              step(19, [
                [0, 'InProgress'],
                [180, 'Success'],
              ]),
              step(11, [
                [185, 'InProgress'],
                [199, 'Success'],
              ]),
            ],
          ),
        ],
        { behaviour: { visibilityLagSeconds } },
      );

      // Act: the read after the end comes before step 11 shows up (for lag 30 and 60).
      for (const t of [5, 100, 205, 265, 325]) {
        harness.at(t);
        await harness.cycle();
      }

      // Assess
      expect(transitionsOf(harness.events()).filter((t) => t.startsWith('step:0011'))).toEqual([
        'step:0011:Pending>Success',
      ]);
      expect(await harness.poller.deps.store.listTracked(harness.poller.options.shard)).toEqual([]);
    },
  );

  it.each([
    [
      'one step per target of a rate-control run',
      { targetParameterName: 'InstanceId', maxConcurrency: '2' },
      { action: 'aws:executeAutomation' },
    ],
    ['a loop iteration', {}, { name: 'step19', action: 'aws:loop' }],
  ] as const)(
    'emits %s that SSM lists only once it shows up, after the end',
    async (_what, executionExtra, lateExtra) => {
      // Prepare: step 11 is not listed up front and shows up nearly the whole lag after its start
      // at 185 s; the run ends at 200 s, so the read after the end cannot see it.
      harness = await startHarness(
        [
          execution(
            1,
            [
              [0, 'InProgress'],
              [200, 'Success'],
            ],
            [
              step(
                19,
                [
                  [0, 'InProgress'],
                  [180, 'Success'],
                ],
                { action: lateExtra.action },
              ),
              step(
                11,
                [
                  [185, 'InProgress'],
                  [199, 'Success'],
                ],
                { plannedUpFront: false, ...lateExtra },
              ),
            ],
            executionExtra,
          ),
        ],
        { behaviour: { visibilityLagSeconds: MAX_VISIBILITY_LAG_SECONDS } },
      );

      // Act
      for (const t of [5, 100, 205, 265, 325]) {
        harness.at(t);
        await harness.cycle();
      }

      // Assess: the read after the end lists no step as not started, yet SSM may add steps to this
      // run, so it waits out the lag and sees step 11.
      expect(transitionsOf(harness.events()).filter((t) => t.startsWith('step:0011'))).toEqual([
        'step:0011:null>Success',
      ]);
      expect(await harness.poller.deps.store.listTracked(harness.poller.options.shard)).toEqual([]);
    },
  );

  it('reads only the steps of an ended execution waiting out the lag, not the execution again', async () => {
    // Prepare: step 2 never runs, so the read after the end (at 430 s) cannot prove that no step
    // shows up late; the execution started long before the listings' window.
    const h = await start(
      [
        execution(
          1,
          [
            [0, 'InProgress'],
            [400, 'Failed'],
          ],
          [
            step(1, [
              [0, 'InProgress'],
              [399, 'Failed'],
            ]),
            step(2, []),
          ],
        ),
      ],
      { visibilityLagSeconds: MAX_VISIBILITY_LAG_SECONDS },
    );
    const reads = recordStepReads(h);

    // Act
    const perCycle = await transitionsPerCycle(h, [5, 300, 430, 470]);

    // Assess
    // Step 1 shows up late (its lag), so its start is told at 300 s.
    expect(perCycle).toEqual([
      ['execution:0001:null>InProgress'],
      ['step:0001:Pending>InProgress'],
      ['step:0001:InProgress>Failed', 'execution:0001:InProgress>Failed'],
      [],
    ]);
    const byId = reads.requests.filter(
      (r) =>
        r.operation === 'DescribeAutomationExecutions' &&
        (r.input.Filters ?? []).some((f) => f.Key === 'ExecutionId'),
    );
    // Asked for by id once, when the listings left it out and its snapshot said it runs (430 s).
    expect(byId).toHaveLength(1);
    // The read at 470 s comes the lag after the end: it settles the execution.
    expect(reads.pages(idOf('e', 1))).toBe(4);
    expect(await h.poller.deps.store.listTracked(h.poller.options.shard)).toEqual([]);
  });

  const LAGS = [0, 30, MAX_VISIBILITY_LAG_SECONDS];
  // Step 11's id gives it nearly the whole lag, step 19's almost none (stepVisibilityLagMs).
  const late = idOf('s', 11);
  const prompt = idOf('s', 19);
  const run = execution(
    1,
    [
      [0, 'InProgress'],
      [200, 'Success'],
    ],
    [
      step(11, [
        [10, 'InProgress'],
        [100, 'Success'],
      ]),
      step(19, [
        [12, 'InProgress'],
        [150, 'Success'],
      ]),
    ],
  );
  const times = [5, 20, 50, 80, 140, 215];

  it.each(LAGS)(
    "emits a late step while the run goes on when the lag (%i s) is within the poller's window",
    async (visibilityLagSeconds) => {
      // Prepare
      expect(stepVisibilityLagMs(late, visibilityLagSeconds)).toBeGreaterThanOrEqual(
        visibilityLagSeconds * 950,
      );
      expect(stepVisibilityLagMs(prompt, visibilityLagSeconds)).toBeLessThan(visibilityLagSeconds * 50 + 1);
      const h = await start([run], { visibilityLagSeconds });

      // Act
      const perCycle = await transitionsPerCycle(h, times);

      // Assess: step 11 is first listed in the first cycle after its start plus its lag.
      const shows = { 0: 1, 30: 2, 60: 3 }[visibilityLagSeconds] ?? -1;
      const expected: string[][] = [
        ['execution:0001:null>InProgress'],
        ['step:0019:Pending>InProgress'],
        [],
        [],
        ['step:0011:InProgress>Success'],
        ['step:0019:InProgress>Success', 'execution:0001:InProgress>Success'],
      ];
      expected[shows]?.unshift('step:0011:Pending>InProgress');
      expect(perCycle).toEqual(expected);
    },
  );

  it.each(LAGS.filter((lag) => lag > 0))(
    "emits a step later than the poller's window when its execution ends, with lag=%i and the poller's lag 0",
    async (visibilityLagSeconds) => {
      // Prepare
      const h = await start([run], { visibilityLagSeconds });

      // Act
      const perCycle: string[][] = [];
      for (const t of times) {
        const before = h.events().length;
        h.at(t);
        await h.cycle({ stepVisibilityLagSeconds: 0 });
        perCycle.push(transitionsOf(h.events().slice(before)));
      }

      // Assess: the window starts after step 19's start, so step 11 is missed until the full read
      // after the end.
      expect(perCycle).toEqual([
        ['execution:0001:null>InProgress'],
        ['step:0019:Pending>InProgress'],
        [],
        [],
        [],
        ['step:0011:Pending>Success', 'step:0019:InProgress>Success', 'execution:0001:InProgress>Success'],
      ]);
    },
  );

  it.each(LAGS)(
    'emits every step of a busy run exactly as SSM shows it, with lag=%i',
    async (visibilityLagSeconds) => {
      // Prepare: 20 overlapping steps, one starting every 7 s, each running 30 s.
      const busy = execution(
        1,
        [
          [0, 'InProgress'],
          [170, 'Success'],
        ],
        Array.from({ length: 20 }, (_, i) =>
          step(i + 1, [
            [i * 7, 'InProgress'],
            [i * 7 + 30, 'Success'],
          ]),
        ),
      );
      const h = await start([busy], { visibilityLagSeconds });
      const polls = Array.from({ length: 14 }, (_, i) => 3 + i * 15);

      // Act
      const perCycle = await eventsPerCycle(h, polls);

      // Assess
      expect(perCycle.map((events) => stepEventsOf(events, busy.id))).toEqual(
        expectedStepTransitionsPerRead(h.stack.ssm, busy.id, polls, visibilityLagSeconds),
      );
      const ids = eventIds(h);
      expect(new Set(ids).size).toBe(ids.length);
    },
  );
});

describe('An execution SSM has forgotten (D10: history expiry, AutomationExecutionNotFoundException)', () => {
  const runs = [
    execution(1, [[0, 'InProgress']], sequentialSteps(1, 2, 0, 30)),
    execution(
      2,
      [
        [0, 'InProgress'],
        [10, 'Success'],
      ],
      [
        step(21, [
          [0, 'InProgress'],
          [10, 'Success'],
        ]),
      ],
    ),
  ];
  const forgotten = idOf('e', 2);
  type Forgetting = (h: Harness) => void;
  const ways: { how: string; behaviour: Partial<SsmBehaviour>; forget: Forgetting; warning: string }[] = [
    {
      how: 'forgetExecution before the cycle',
      behaviour: {},
      forget: (h) => h.stack.ssm.forgetExecution(forgotten),
      warning: 'SSM no longer knows a tracked execution; it is no longer tracked',
    },
    {
      how: 'historyDays (forgotten 17 s after its end)',
      behaviour: { historyDays: 0.0002 },
      forget: () => {},
      warning: 'SSM no longer knows a tracked execution; it is no longer tracked',
    },
    {
      how: 'forgetExecution between the listing and its step read',
      behaviour: {},
      forget: (h) =>
        h.stack.ssm.setPayloadMutator((operation, body) => {
          const listed = (body.AutomationExecutionMetadataList ?? []) as { AutomationExecutionId?: string }[];
          if (
            operation === 'DescribeAutomationExecutions' &&
            listed.some((e) => e.AutomationExecutionId === forgotten)
          )
            h.stack.ssm.forgetExecution(forgotten);
        }),
      warning: 'SSM no longer knows an execution; it is no longer tracked',
    },
  ];

  it.each(ways)(
    'goes on with the others and untracks it with one warning, keeping its snapshot and history, by $how',
    async ({ behaviour, forget, warning }) => {
      // Prepare: execution 2 is seen in flight, then SSM forgets it.
      const h = await start(runs, behaviour);
      const logged = loggedPoller(h);
      const perCycle: string[][] = [];
      const cycleAt = async (t: number) => {
        const before = h.events().length;
        h.at(t);
        const summary = await logged.cycle();
        perCycle.push(transitionsOf(h.events().slice(before)));
        return summary;
      };
      await cycleAt(5);
      forget(h);

      // Act
      const summaries = [await cycleAt(65), await cycleAt(125)];

      // Assess
      expect(summaries.map((s) => s.complete)).toEqual([true, true]);
      expect(perCycle).toEqual([
        [
          'execution:0001:null>InProgress',
          'step:0001:null>InProgress',
          'execution:0002:null>InProgress',
          'step:0021:null>InProgress',
        ],
        ['step:0001:InProgress>Success', 'step:0002:Pending>Success'],
        [],
      ]);
      expect(logged.logs.filter((line) => line.level !== 'info')).toEqual([
        { level: 'warn', message: warning, extra: expect.objectContaining({ executionId: forgotten }) },
      ]);
      const tracked = await h.poller.deps.store.listTracked(h.poller.options.shard);
      expect(tracked.map((t) => t.executionId)).toEqual([idOf('e', 1)]);
      const state = await h.poller.deps.store.loadExecution(forgotten);
      expect(state?.execution.status).toBe('InProgress');
      expect([...(state?.steps.keys() ?? [])]).toEqual([idOf('s', 21)]);
      const history = new DynamoHistoryReader({
        tableName: h.stack.tableName,
        client: h.stack.clients.dynamodb,
      });
      const records: string[] = [];
      for await (const record of history.transitions(forgotten)) records.push(record.kind);
      expect(records).toEqual(['execution', 'step']);
    },
  );
});

describe('A record SSM returns but nobody can use (no status)', () => {
  const later = ['step:0001:InProgress>Success', 'step:0002:Pending>Success'];
  const cases: { what: string; mutate: PayloadMutator; unreadable: string; expected: string[] }[] = [
    {
      what: 'a step without StepStatus',
      mutate: (operation, body) => {
        if (operation !== 'DescribeAutomationStepExecutions') return;
        for (const item of (body.StepExecutions ?? []) as Record<string, unknown>[])
          if (item.StepExecutionId === idOf('s', 3)) delete item.StepStatus;
      },
      unreadable: `step ${idOf('s', 3)} without status`,
      expected: [
        'execution:0001:null>InProgress',
        'step:0001:null>InProgress',
        'execution:0002:null>InProgress',
        'step:0021:null>InProgress',
        ...later,
      ],
    },
    {
      what: 'an execution without AutomationExecutionStatus',
      mutate: (operation, body) => {
        if (operation !== 'DescribeAutomationExecutions') return;
        for (const item of (body.AutomationExecutionMetadataList ?? []) as Record<string, unknown>[])
          if (item.AutomationExecutionId === idOf('e', 2)) delete item.AutomationExecutionStatus;
      },
      unreadable: `execution ${idOf('e', 2)} without status`,
      expected: [
        'execution:0001:null>InProgress',
        'step:0001:null>InProgress',
        'step:0003:null>InProgress',
        ...later,
      ],
    },
  ];

  it.each(cases)(
    'reports $what once over several cycles and emits everything else',
    async ({ mutate, unreadable, expected }) => {
      // Prepare: step 3 of execution 1 runs throughout; execution 2 runs throughout.
      const h = await start([
        execution(1, [[0, 'InProgress']], [...sequentialSteps(1, 2, 0, 30), step(3, [[1, 'InProgress']])]),
        execution(2, [[0, 'InProgress']], [step(21, [[0, 'InProgress']])]),
      ]);
      h.stack.ssm.setPayloadMutator(mutate);
      const logged = loggedPoller(h);

      // Act
      const summaries: CycleSummary[] = [];
      for (const t of [5, 65, 125]) {
        h.at(t);
        summaries.push(await logged.cycle());
      }

      // Assess
      expect(summaries.map((s) => s.unreadableRecords)).toEqual([1, 1, 1]);
      expect(logged.logs.filter((line) => line.level !== 'info')).toEqual([
        {
          level: 'warn',
          message: 'skipped a record SSM returned',
          extra: expect.objectContaining({ reason: unreadable }),
        },
      ]);
      expect(transitionsOf(h.events())).toEqual(expected);
    },
  );
});
