// Over-the-wire tests of aws:loop in the SSM simulator: ParentStepDetails on the wire, the parent-step filters, the loop switches.
import {
  DescribeAutomationStepExecutionsCommand,
  type DescribeAutomationStepExecutionsCommandInput,
  SSMClient,
  type StepExecution,
} from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import { loopRun } from '../../sandbox/loop-run';
import type { ScenarioExecution } from '../../sandbox/scenario';
import {
  LOOP_BEHAVIOUR_SWITCHES,
  pendingStepExecutionId,
  type SsmBehaviour,
} from '../../sandbox/ssm-behaviour';
import { SsmSimulator } from '../../sandbox/ssm-simulator';

const START = Date.parse('2026-11-25T14:00:00Z');
const at = (seconds: number): number => START + seconds * 1000;
const EXEC = 'aaaaaaaa-0000-4000-8000-000000000001';

/**
 * Three iterations over three instances, two steps each (2 s a step): the describe step 0–1 s, the
 * loop from 1 s, iteration 1 at 1–5 s, 2 at 5–9 s (its first step fails), 3 at 9–13 s.
 */
function threeItems(onFailure: 'Continue' | 'Abort' = 'Continue'): ScenarioExecution {
  return loopRun({
    executionId: EXEC,
    items: ['i-aaa', { value: 'i-bbb', outcome: 'Failed' }, 'i-ccc'],
    onFailure,
  });
}

/** What the botocore model allows in `ParentStepDetails`: its five members and their types. */
function modelErrors(details: unknown): string[] {
  if (typeof details !== 'object' || details === null) return ['not an object'];
  const errors: string[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (key === 'Iteration') {
      if (!Number.isInteger(value)) errors.push(`Iteration ${String(value)} is not an integer`);
    } else if (['StepExecutionId', 'StepName', 'Action', 'IteratorValue'].includes(key)) {
      if (typeof value !== 'string') errors.push(`${key} is not a string`);
      if (key === 'Action' && !/^aws:[a-zA-Z]{3,25}$/.test(String(value))) errors.push('Action pattern');
    } else {
      errors.push(`${key} is not a member of ParentStepDetails`);
    }
  }
  return errors;
}

describe('Class: SsmSimulator with an aws:loop', () => {
  let now = START;
  const started: SsmSimulator[] = [];
  const clients: SSMClient[] = [];

  const setUp = async (
    executions: ScenarioExecution[],
    behaviour: Partial<SsmBehaviour> = {},
  ): Promise<{ sim: SsmSimulator; ssm: SSMClient }> => {
    const sim = new SsmSimulator({
      scenario: { name: 'loops', executions },
      startEpochMs: START,
      clock: () => now,
      behaviour,
    });
    await sim.start();
    started.push(sim);
    const ssm = new SSMClient({
      endpoint: sim.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    clients.push(ssm);
    return { sim, ssm };
  };
  const stepList = async (
    ssm: SSMClient,
    input: Partial<DescribeAutomationStepExecutionsCommandInput> = {},
  ): Promise<StepExecution[]> =>
    (await ssm.send(new DescribeAutomationStepExecutionsCommand({ AutomationExecutionId: EXEC, ...input })))
      .StepExecutions ?? [];
  /** `name:status:iteration:item` of each listed step inside the loop, in listing order. */
  const loopListing = async (
    ssm: SSMClient,
    input: Partial<DescribeAutomationStepExecutionsCommandInput> = {},
  ): Promise<string[]> =>
    (await stepList(ssm, input))
      .filter((s) => s.ParentStepDetails !== undefined)
      .map(
        (s) =>
          `${s.StepName}:${s.StepStatus}:${s.ParentStepDetails?.Iteration}:${s.ParentStepDetails?.IteratorValue}`,
      );

  afterEach(async () => {
    now = START;
    for (const client of clients.splice(0)) client.destroy();
    for (const simulator of started.splice(0)) await simulator.stop();
  });

  describe('ParentStepDetails', () => {
    it('sends ParentStepDetails as the model shapes it: Iteration an integer, IteratorValue a string', async () => {
      // Prepare
      const { sim } = await setUp([threeItems()]);
      now = at(6);

      // Act: the raw answer, before any SDK parses it.
      const response = await fetch(sim.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AmazonSSM.DescribeAutomationStepExecutions',
        },
        body: JSON.stringify({ AutomationExecutionId: EXEC }),
      });
      const body = (await response.json()) as { StepExecutions: Record<string, unknown>[] };

      // Assess
      const inner = body.StepExecutions.filter((s) => s.ParentStepDetails !== undefined);
      expect(inner.map((s) => s.ParentStepDetails)).toEqual([
        {
          StepExecutionId: body.StepExecutions[1]?.StepExecutionId,
          StepName: 'stopAllInstancesWithWaitTime',
          Action: 'aws:loop',
          Iteration: 1,
          IteratorValue: 'i-aaa',
        },
        expect.objectContaining({ Iteration: 1, IteratorValue: 'i-aaa' }),
        expect.objectContaining({ Iteration: 2, IteratorValue: 'i-bbb' }),
      ]);
      expect(inner.flatMap((s) => modelErrors(s.ParentStepDetails))).toEqual([]);
      expect(body.StepExecutions.slice(0, 2).map((s) => [s.StepName, s.ParentStepDetails])).toEqual([
        ['DescribeInstancesStep', undefined],
        ['stopAllInstancesWithWaitTime', undefined],
      ]);
    });

    it('gives each iteration its own step execution id under one step name, naming the loop step', async () => {
      // Prepare
      const { ssm } = await setUp([threeItems()]);
      now = at(20);

      // Act
      const list = await stepList(ssm);

      // Assess
      const loopStep = list.find((s) => s.Action === 'aws:loop');
      const stops = list.filter((s) => s.StepName === 'stopOneInstance');
      expect(
        stops.map((s) => [s.StepStatus, s.ParentStepDetails?.Iteration, s.ParentStepDetails?.IteratorValue]),
      ).toEqual([
        ['Success', 1, 'i-aaa'],
        ['Failed', 2, 'i-bbb'],
        ['Success', 3, 'i-ccc'],
      ]);
      expect(new Set(stops.map((s) => s.StepExecutionId)).size).toBe(3);
      expect(stops.every((s) => s.ParentStepDetails?.StepExecutionId === loopStep?.StepExecutionId)).toBe(
        true,
      );
      expect(loopStep?.StepStatus).toBe('Failed');
    });
  });

  describe('parent-step filters', () => {
    it('filters by ParentStepExecutionId, ParentStepIteration and ParentStepIteratorValue', async () => {
      // Prepare
      const { ssm } = await setUp([threeItems()]);
      now = at(20);
      const loopId = (await stepList(ssm)).find((s) => s.Action === 'aws:loop')?.StepExecutionId ?? '';

      // Act
      const byParent = await loopListing(ssm, {
        Filters: [{ Key: 'ParentStepExecutionId', Values: [loopId] }],
      });
      const byIteration = await loopListing(ssm, {
        Filters: [{ Key: 'ParentStepIteration', Values: ['2', '3'] }],
      });
      const byItem = await loopListing(ssm, {
        Filters: [
          { Key: 'ParentStepIteratorValue', Values: ['i-ccc'] },
          { Key: 'StepName', Values: ['wait10Seconds'] },
        ],
      });
      const unknownParent = await stepList(ssm, {
        Filters: [{ Key: 'ParentStepExecutionId', Values: [pendingStepExecutionId(loopId)] }],
      });

      // Assess
      expect(byParent).toHaveLength(6);
      expect(byIteration).toEqual([
        'stopOneInstance:Failed:2:i-bbb',
        'wait10Seconds:Success:2:i-bbb',
        'stopOneInstance:Success:3:i-ccc',
        'wait10Seconds:Success:3:i-ccc',
      ]);
      expect(byItem).toEqual(['wait10Seconds:Success:3:i-ccc']);
      expect(unknownParent).toEqual([]);
    });

    it.each([
      ['a word', 'first', 'InvalidFilterValue'],
      ['a negative number', '-1', 'InvalidFilterValue'],
      ['a fraction', '1.5', 'InvalidFilterValue'],
      ['a value over 150 characters', '1'.repeat(151), 'ValidationException'],
      ['an empty value', '', 'ValidationException'],
    ])('answers %s as ParentStepIteration with %s', async (_case, value, error) => {
      const { ssm } = await setUp([threeItems()]);

      await expect(
        stepList(ssm, { Filters: [{ Key: 'ParentStepIteration', Values: [value] }] }),
      ).rejects.toMatchObject({ name: error, $metadata: { httpStatusCode: 400 } });
    });
  });

  describe('switch loopStepListing', () => {
    it.each([
      ['onStart', ['stopOneInstance:InProgress:1:i-aaa']],
      ['iteration', ['stopOneInstance:InProgress:1:i-aaa', 'wait10Seconds:Pending:1:i-aaa']],
      [
        'upFront',
        [
          'stopOneInstance:InProgress:1:i-aaa',
          'wait10Seconds:Pending:1:i-aaa',
          'stopOneInstance:Pending:2:i-bbb',
          'wait10Seconds:Pending:2:i-bbb',
          'stopOneInstance:Pending:3:i-ccc',
          'wait10Seconds:Pending:3:i-ccc',
        ],
      ],
    ] as const)('with loops=%s lists the loop steps at 2 s as %j', async (loopStepListing, expected) => {
      const { ssm } = await setUp([threeItems()], { loopStepListing });
      now = at(2);

      expect(await loopListing(ssm)).toEqual(expected);
    });

    it.each(LOOP_BEHAVIOUR_SWITCHES.loopStepListing)(
      'with loops=%s keeps the steps an abort left unrun Pending only where it lists them up front',
      async (loopStepListing) => {
        // Prepare: iteration 2 fails with Abort, so its second step and iteration 3 never run.
        const { ssm, sim } = await setUp([threeItems('Abort')], { loopStepListing });
        now = at(30);

        // Act
        const pending = (await loopListing(ssm)).filter((entry) => entry.includes(':Pending:'));

        // Assess
        expect(pending).toEqual(
          loopStepListing === 'onStart'
            ? []
            : loopStepListing === 'iteration'
              ? ['wait10Seconds:Pending:2:i-bbb']
              : [
                  'wait10Seconds:Pending:2:i-bbb',
                  'stopOneInstance:Pending:3:i-ccc',
                  'wait10Seconds:Pending:3:i-ccc',
                ],
        );
        expect(
          sim
            .groundTruth()
            .filter((e) => e.kind === 'execution')
            .map((e) => e.status),
        ).toEqual(['InProgress', 'Failed']);
      },
    );

    it.each([
      ['onStart', [null, null, null, null, null, null]],
      ['iteration', [null, 'Pending', null, 'Pending', null, 'Pending']],
      ['upFront', ['Pending', 'Pending', 'Pending', 'Pending', 'Pending', 'Pending']],
    ] as const)(
      'with loops=%s gives the loop steps the ground-truth first previousStatus %j',
      async (loopStepListing, expected) => {
        const { sim } = await setUp([threeItems()], { loopStepListing });
        now = at(30);
        const execution = threeItems();
        const innerIds = new Set(execution.steps.filter((s) => s.loopIteration).map((s) => s.id));

        const firsts = sim
          .groundTruth()
          .filter(
            (e) => e.kind === 'step' && innerIds.has(e.stepExecutionId ?? '') && e.status === 'InProgress',
          );

        expect(firsts.map((e) => e.previousStatus)).toEqual(expected);
      },
    );

    it('names the loop step by the id it lists before it starts, under ids=changeOnStart and loops=upFront', async () => {
      // Prepare: the loop starts at 1 s; at 0.5 s it and its steps are all Pending.
      const { ssm } = await setUp([threeItems()], {
        loopStepListing: 'upFront',
        unstartedStepIds: 'changeOnStart',
      });
      const loopId = threeItems().steps[1]?.id ?? '';
      now = at(0.5);

      // Act
      const before = (await stepList(ssm)).filter((s) => s.ParentStepDetails);
      now = at(2);
      const after = (await stepList(ssm)).filter((s) => s.ParentStepDetails);

      // Assess
      expect(new Set(before.map((s) => s.ParentStepDetails?.StepExecutionId))).toEqual(
        new Set([pendingStepExecutionId(loopId)]),
      );
      expect(new Set(after.map((s) => s.ParentStepDetails?.StepExecutionId))).toEqual(new Set([loopId]));
    });
  });

  describe('switch loopIterationBase', () => {
    it.each([
      [1, [1, 2, 3]],
      [0, [0, 1, 2]],
    ] as const)(
      'with base=%i numbers the iterations %j and filters on the shown number',
      async (loopIterationBase, expected) => {
        const { ssm } = await setUp([threeItems()], { loopIterationBase });
        now = at(20);

        const stops = (
          await stepList(ssm, { Filters: [{ Key: 'StepName', Values: ['stopOneInstance'] }] })
        ).map((s) => s.ParentStepDetails?.Iteration);
        const last = await loopListing(ssm, {
          Filters: [
            { Key: 'ParentStepIteration', Values: [String(expected[2])] },
            { Key: 'StepName', Values: ['stopOneInstance'] },
          ],
        });

        expect(stops).toEqual(expected);
        expect(last).toEqual([`stopOneInstance:Success:${expected[2]}:i-ccc`]);
      },
    );
  });
});
