// Over-the-wire tests of what the SSM simulator shows with a behaviour: documented SSM behaviour and every switch value.
import {
  DescribeAutomationExecutionsCommand,
  type DescribeAutomationExecutionsCommandInput,
  DescribeAutomationStepExecutionsCommand,
  type DescribeAutomationStepExecutionsCommandInput,
  SSMClient,
  type StepExecution,
} from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandbox/errors';
import { rateControlRun } from '../../sandbox/rate-control';
import type { ScenarioExecution, ScenarioStep } from '../../sandbox/scenario';
import { sequentialRun } from '../../sandbox/sequential-runbook';
import {
  DOCUMENTED_BEHAVIOUR,
  pendingStepExecutionId,
  type SsmBehaviour,
  stepVisibilityLagMs,
} from '../../sandbox/ssm-behaviour';
import { SsmSimulator } from '../../sandbox/ssm-simulator';

const START = Date.parse('2026-11-25T14:00:00Z');
const DAY_MS = 86_400_000;
const at = (seconds: number): number => START + seconds * 1000;
const iso = (seconds: number): string => new Date(at(seconds)).toISOString();
const execId = (n: number): string => `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`;
const stepId = (e: number, n: number): string =>
  `11111111-${String(e).padStart(4, '0')}-4000-8000-${String(n).padStart(12, '0')}`;

/** A step that runs from `start` to `end` (or stays InProgress without `end`, never starts without `start`). */
function step(
  e: number,
  n: number,
  start?: number,
  end?: number,
  extra: Partial<ScenarioStep> = {},
): ScenarioStep {
  const timeline =
    start === undefined
      ? []
      : [{ at: start, status: 'InProgress' }, ...(end === undefined ? [] : [{ at: end, status: 'Success' }])];
  return { id: stepId(e, n), name: `s${n}`, action: 'aws:runCommand', timeline, ...extra };
}

function execution(
  n: number,
  steps: ScenarioStep[],
  extra: Partial<ScenarioExecution> = {},
): ScenarioExecution {
  return {
    id: execId(n),
    documentName: 'Custom-Runbook',
    parentId: null,
    timeline: [{ at: 0, status: 'InProgress' }],
    steps,
    ...extra,
  };
}

/**
 * Five steps of execution 1: s1 and s2 both start at 1 s (a tie), s3 at 2 s, s4 and s5 not yet —
 * forward order s1 s2 s3 s4 s5.
 */
const TIES = execution(1, [step(1, 1, 1), step(1, 2, 1), step(1, 3, 2), step(1, 4, 20), step(1, 5, 30)]);

describe('Class: SsmSimulator with a behaviour', () => {
  let now = START;
  const started: SsmSimulator[] = [];
  const clients: SSMClient[] = [];

  const setUp = async (
    executions: ScenarioExecution[],
    behaviour: Partial<SsmBehaviour> = {},
  ): Promise<{ sim: SsmSimulator; ssm: SSMClient }> => {
    const sim = new SsmSimulator({
      scenario: { name: 'behaviour', executions },
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
  const steps = async (ssm: SSMClient, input: DescribeAutomationStepExecutionsCommandInput) =>
    ssm.send(new DescribeAutomationStepExecutionsCommand(input));
  const stepList = async (
    ssm: SSMClient,
    input: DescribeAutomationStepExecutionsCommandInput,
  ): Promise<StepExecution[]> => (await steps(ssm, input)).StepExecutions ?? [];
  /** `name:status` of each listed step, in listing order. */
  const listing = async (ssm: SSMClient, input: DescribeAutomationStepExecutionsCommandInput) =>
    (await stepList(ssm, input)).map((s) => `${s.StepName}:${s.StepStatus}`);
  const executionIds = async (ssm: SSMClient, input: DescribeAutomationExecutionsCommandInput = {}) =>
    (
      (await ssm.send(new DescribeAutomationExecutionsCommand(input))).AutomationExecutionMetadataList ?? []
    ).map((e) => e.AutomationExecutionId);

  afterEach(async () => {
    now = START;
    for (const client of clients.splice(0)) client.destroy();
    for (const simulator of started.splice(0)) await simulator.stop();
  });

  describe('documented behaviour', () => {
    it('lists every planned step from the execution start as Pending without start or end time', async () => {
      // Prepare
      const run = sequentialRun({ executionId: execId(1), steps: 3, stepSeconds: 5 });
      const { ssm, sim } = await setUp([run]);
      now = at(2);

      // Act
      const list = await stepList(ssm, { AutomationExecutionId: execId(1) });

      // Assess
      expect(sim.behaviour).toEqual(DOCUMENTED_BEHAVIOUR);
      expect(list).toEqual([
        {
          StepName: 'step1',
          Action: 'aws:runCommand',
          ExecutionStartTime: new Date(at(0)),
          StepStatus: 'InProgress',
          StepExecutionId: run.steps[0]?.id,
        },
        {
          StepName: 'step2',
          Action: 'aws:runCommand',
          StepStatus: 'Pending',
          StepExecutionId: run.steps[1]?.id,
        },
        {
          StepName: 'step3',
          Action: 'aws:runCommand',
          StepStatus: 'Pending',
          StepExecutionId: run.steps[2]?.id,
        },
      ]);
    });

    it('shows the runbook fields of a Pending step but nothing that running it produces', async () => {
      // Prepare
      const planned = step(1, 2, 10, undefined, {
        onFailure: 'Abort',
        maxAttempts: 2,
        isCritical: true,
        timeoutSeconds: 60,
        inputs: { InstanceIds: '["i-1"]' },
        targetLocation: { accounts: ['111122223333'], regions: ['eu-west-1'] },
        alarms: [{ at: 0, name: 'StepAlarm', state: 'ALARM' }],
      });
      const { ssm } = await setUp([execution(1, [step(1, 1, 0), planned])]);
      now = at(1);

      // Act
      const [, pending] = await stepList(ssm, { AutomationExecutionId: execId(1) });

      // Assess
      expect(pending).toEqual({
        StepName: 's2',
        Action: 'aws:runCommand',
        TimeoutSeconds: 60,
        OnFailure: 'Abort',
        MaxAttempts: 2,
        StepStatus: 'Pending',
        StepExecutionId: stepId(1, 2),
        IsCritical: true,
        TargetLocation: { Accounts: ['111122223333'], Regions: ['eu-west-1'] },
      });
    });

    it('lists started steps by start time, then the not-started ones in plan order', async () => {
      const { ssm } = await setUp([
        execution(1, [step(1, 1, 3), step(1, 2, 1), step(1, 3, 50), step(1, 4, 40), step(1, 5, 2, 2.5)]),
      ]);
      now = at(5);

      expect(await listing(ssm, { AutomationExecutionId: execId(1) })).toEqual([
        's2:InProgress',
        's5:Success',
        's1:InProgress',
        's3:Pending',
        's4:Pending',
      ]);
    });

    it('keeps steps that never ran Pending after the run ended: 3 Success, 1 Cancelled, 10 Pending', async () => {
      // Prepare
      const { ssm } = await setUp([
        sequentialRun({ executionId: execId(1), steps: 14, ending: { kind: 'cancel', atStep: 3 } }),
      ]);
      now = at(3600);

      // Act
      const list = await stepList(ssm, { AutomationExecutionId: execId(1) });
      const status = (await ssm.send(new DescribeAutomationExecutionsCommand({})))
        .AutomationExecutionMetadataList?.[0]?.AutomationExecutionStatus;

      // Assess
      expect(status).toBe('Cancelled');
      expect(list.map((s) => s.StepStatus)).toEqual([
        'Success',
        'Success',
        'Success',
        'Cancelled',
        ...Array.from({ length: 10 }, () => 'Pending'),
      ]);
      expect(
        list.slice(4).some((s) => s.ExecutionStartTime !== undefined || s.ExecutionEndTime !== undefined),
      ).toBe(false);
    });

    it('keeps a retried step one InProgress record until it fails maximum allowed times', async () => {
      // Prepare
      const run = sequentialRun({
        executionId: execId(1),
        steps: [
          { name: 'launchInstance', action: 'aws:runInstances' },
          { name: 'updateOSSoftware', action: 'aws:runCommand' },
        ],
        ending: { kind: 'failure', atStep: 0, attempts: 3 },
      });
      const { ssm } = await setUp([run]);

      // Act
      now = at(12);
      const during = await listing(ssm, { AutomationExecutionId: execId(1) });
      now = at(16);
      const after = await stepList(ssm, { AutomationExecutionId: execId(1) });

      // Assess
      expect(during).toEqual(['launchInstance:InProgress', 'updateOSSoftware:Pending']);
      expect(after.map((s) => [s.StepName, s.StepStatus, s.FailureMessage])).toEqual([
        ['launchInstance', 'Failed', 'Step launchInstance failed maximum allowed times.'],
        ['updateOSSoftware', 'Pending', undefined],
      ]);
      expect(after[0]).toMatchObject({ MaxAttempts: 3, ExecutionEndTime: new Date(at(15)) });
    });

    it('lists a step not planned up front only once it starts', async () => {
      const { ssm } = await setUp([
        execution(1, [step(1, 1, 0), step(1, 2, 5, undefined, { plannedUpFront: false }), step(1, 3, 8)]),
      ]);

      now = at(4);
      const before = await listing(ssm, { AutomationExecutionId: execId(1) });
      now = at(6);
      const after = await listing(ssm, { AutomationExecutionId: execId(1) });

      expect(before).toEqual(['s1:InProgress', 's3:Pending']);
      expect(after).toEqual(['s1:InProgress', 's2:InProgress', 's3:Pending']);
    });

    it('shows at most one TriggeredAlarms entry: the alarm whose state changed last', async () => {
      const { ssm } = await setUp([
        execution(1, [step(1, 1, 0, undefined, { alarms: [{ at: 1, name: 'StepAlarm', state: 'ALARM' }] })], {
          alarms: [
            { at: 1, name: 'First', state: 'ALARM' },
            { at: 2, name: 'Second', state: 'UNKNOWN' },
          ],
        }),
      ]);
      now = at(3);

      const [meta] =
        (await ssm.send(new DescribeAutomationExecutionsCommand({}))).AutomationExecutionMetadataList ?? [];
      const [stepAlarms] = (await stepList(ssm, { AutomationExecutionId: execId(1) })).map(
        (s) => s.TriggeredAlarms,
      );

      expect(meta?.TriggeredAlarms).toEqual([{ Name: 'Second', State: 'UNKNOWN' }]);
      expect(stepAlarms).toEqual([{ Name: 'StepAlarm', State: 'ALARM' }]);
    });

    it('cancels on an alarm in ALARM: the running step Cancelled, the onCancel step run, the rest Pending', async () => {
      // Prepare
      const run = sequentialRun({
        executionId: execId(1),
        steps: 3,
        ending: { kind: 'alarm', atStep: 1, alarmName: 'HighErrors' },
        onCancelStep: { name: 'rollback', action: 'aws:executeScript' },
      });
      const { ssm } = await setUp([run]);
      now = at(60);

      // Act
      const [meta] =
        (await ssm.send(new DescribeAutomationExecutionsCommand({}))).AutomationExecutionMetadataList ?? [];
      const list = await listing(ssm, { AutomationExecutionId: execId(1) });

      // Assess
      expect(meta).toMatchObject({
        AutomationExecutionStatus: 'Cancelled',
        TriggeredAlarms: [{ Name: 'HighErrors', State: 'ALARM' }],
      });
      expect(list).toEqual(['step1:Success', 'step2:Cancelled', 'rollback:Success', 'step3:Pending']);
    });

    it('shows the current step while the execution runs and none once it ended', async () => {
      const { ssm } = await setUp([sequentialRun({ executionId: execId(1), steps: 2, stepSeconds: 5 })]);
      const current = async () => {
        const [meta] =
          (await ssm.send(new DescribeAutomationExecutionsCommand({}))).AutomationExecutionMetadataList ?? [];
        return [meta?.CurrentStepName, meta?.CurrentAction];
      };

      now = at(6);
      const running = await current();
      now = at(11);
      const ended = await current();

      expect(running).toEqual(['step2', 'aws:runCommand']);
      expect(ended).toEqual([undefined, undefined]);
    });

    it('shows a rate-control parent with one aws:executeAutomation step per target and its children', async () => {
      // Prepare
      const executions = rateControlRun({
        parentId: execId(1),
        targets: [
          { name: 'i-0aaa', durationSeconds: 4 },
          { name: 'i-0bbb', durationSeconds: 2, outcome: 'Failed' },
          { name: 'i-0ccc', durationSeconds: 2 },
        ],
        maxConcurrency: 2,
        maxErrors: 1,
      });
      const childIds = executions.slice(1).map((child) => child.id);
      const { ssm } = await setUp(executions);
      now = at(4);

      // Act
      const [parent] =
        (
          await ssm.send(
            new DescribeAutomationExecutionsCommand({
              Filters: [{ Key: 'ExecutionId', Values: [execId(1)] }],
            }),
          )
        ).AutomationExecutionMetadataList ?? [];
      const children = await executionIds(ssm, {
        Filters: [{ Key: 'ParentExecutionId', Values: [execId(1)] }],
      });
      const parentSteps = await stepList(ssm, { AutomationExecutionId: execId(1) });

      // Assess
      expect(parent).toMatchObject({
        AutomationExecutionStatus: 'InProgress',
        Mode: 'Auto',
        TargetParameterName: 'InstanceId',
        Targets: [{ Key: 'ParameterValues', Values: ['i-0aaa', 'i-0bbb', 'i-0ccc'] }],
        ResolvedTargets: { ParameterValues: ['i-0aaa', 'i-0bbb', 'i-0ccc'], Truncated: false },
        MaxConcurrency: '2',
        MaxErrors: '1',
      });
      expect(children.sort()).toEqual([...childIds].sort());
      expect(parentSteps.map((s) => [s.StepName, s.Action, s.StepStatus, s.Outputs, s.Inputs])).toEqual([
        [
          'i-0aaa',
          'aws:executeAutomation',
          'InProgress',
          { ExecutionId: [childIds[0]] },
          { InstanceId: 'i-0aaa' },
        ],
        [
          'i-0bbb',
          'aws:executeAutomation',
          'Failed',
          { ExecutionId: [childIds[1]], Status: ['Failed'] },
          { InstanceId: 'i-0bbb' },
        ],
        [
          'i-0ccc',
          'aws:executeAutomation',
          'InProgress',
          { ExecutionId: [childIds[2]] },
          { InstanceId: 'i-0ccc' },
        ],
      ]);
    });

    it('forgets an execution 30 days after its end: AutomationExecutionNotFoundException and absent from listings', async () => {
      // Prepare
      const { ssm } = await setUp([
        execution(1, [step(1, 1, 0, 1)], {
          timeline: [
            { at: 0, status: 'InProgress' },
            { at: 1, status: 'Success' },
          ],
        }),
        execution(2, [step(2, 1, 0)]),
      ]);

      // Act
      now = at(1) + 30 * DAY_MS;
      const kept = await executionIds(ssm);
      now = at(1) + 30 * DAY_MS + 1;
      const forgotten = await executionIds(ssm, { Filters: [{ Key: 'ExecutionId', Values: [execId(1)] }] });
      const others = await executionIds(ssm);

      // Assess
      expect(kept).toEqual([execId(1), execId(2)]);
      expect(forgotten).toEqual([]);
      expect(others).toEqual([execId(2)]);
      await expect(steps(ssm, { AutomationExecutionId: execId(1) })).rejects.toMatchObject({
        name: 'AutomationExecutionNotFoundException',
        $metadata: { httpStatusCode: 400 },
      });
    });

    it('forgets an execution when told to, keeping it in the ground truth', async () => {
      // Prepare
      const { ssm, sim } = await setUp([execution(1, [step(1, 1, 0)]), execution(2, [step(2, 1, 0)])]);
      now = at(1);

      // Act
      sim.forgetExecution(execId(1));

      // Assess
      expect(await executionIds(ssm)).toEqual([execId(2)]);
      await expect(steps(ssm, { AutomationExecutionId: execId(1) })).rejects.toMatchObject({
        name: 'AutomationExecutionNotFoundException',
      });
      expect(sim.groundTruth().filter((entry) => entry.executionId === execId(1))).toHaveLength(2);
      expect(() => sim.forgetExecution(execId(9))).toThrow(SandboxError);
    });

    it('keeps a ground truth without never-started steps, Pending before a planned step, null before an unplanned one', async () => {
      // Prepare
      const { sim } = await setUp([
        execution(1, [step(1, 1, 0, 1), step(1, 2, 2, undefined, { plannedUpFront: false }), step(1, 3)]),
      ]);
      now = at(5);

      // Act
      const truth = sim.groundTruth().filter((entry) => entry.kind === 'step');

      // Assess
      expect(truth).toEqual([
        {
          kind: 'step',
          executionId: execId(1),
          stepExecutionId: stepId(1, 1),
          status: 'InProgress',
          previousStatus: 'Pending',
          at: at(0),
        },
        {
          kind: 'step',
          executionId: execId(1),
          stepExecutionId: stepId(1, 1),
          status: 'Success',
          previousStatus: 'InProgress',
          at: at(1),
        },
        {
          kind: 'step',
          executionId: execId(1),
          stepExecutionId: stepId(1, 2),
          status: 'InProgress',
          previousStatus: null,
          at: at(2),
        },
      ]);
    });

    it('rejects a bad behaviour with a SandboxError naming the switch', () => {
      expect(
        () =>
          new SsmSimulator({
            scenario: { name: 'x', executions: [] },
            startEpochMs: START,
            behaviour: { childListing: 'hidden' as never },
          }),
      ).toThrow("behaviour.childListing must be one of 'included', 'onRequest' (got hidden).");
    });
  });

  describe('switches reverseOrderUnstarted and startTimeTies', () => {
    it.each<[SsmBehaviour['reverseOrderUnstarted'], SsmBehaviour['startTimeTies'], string[]]>([
      ['first', 'reversed', ['s5', 's4', 's3', 's2', 's1']],
      ['first', 'listOrder', ['s4', 's5', 's3', 's1', 's2']],
      ['last', 'reversed', ['s3', 's2', 's1', 's5', 's4']],
      ['last', 'listOrder', ['s3', 's1', 's2', 's4', 's5']],
    ])(
      'with rev=%s and ties=%s lists ReverseOrder as %j',
      async (reverseOrderUnstarted, startTimeTies, expected) => {
        // Prepare
        const { ssm } = await setUp([TIES], { reverseOrderUnstarted, startTimeTies });
        now = at(5);

        // Act
        const reverse = await stepList(ssm, { AutomationExecutionId: execId(1), ReverseOrder: true });
        const forward = await stepList(ssm, { AutomationExecutionId: execId(1) });

        // Assess
        expect(reverse.map((s) => s.StepName)).toEqual(expected);
        expect(forward.map((s) => s.StepName)).toEqual(['s1', 's2', 's3', 's4', 's5']);
      },
    );
  });

  describe('switch unstartedStepIds', () => {
    it.each<[SsmBehaviour['unstartedStepIds'], string | undefined]>([
      ['stable', stepId(1, 4)],
      ['absent', undefined],
      ['changeOnStart', pendingStepExecutionId(stepId(1, 4))],
    ])(
      'with ids=%s lists a not-started step with StepExecutionId %s, and its own id once started',
      async (unstartedStepIds, pendingId) => {
        // Prepare
        const { ssm } = await setUp([TIES], { unstartedStepIds });
        const s4 = async () =>
          (await stepList(ssm, { AutomationExecutionId: execId(1) })).find((s) => s.StepName === 's4');

        // Act
        now = at(5);
        const pending = await s4();
        now = at(21);
        const running = await s4();

        // Assess
        expect(pending?.StepStatus).toBe('Pending');
        if (pendingId === undefined) expect(pending).not.toHaveProperty('StepExecutionId');
        else expect(pending?.StepExecutionId).toBe(pendingId);
        expect(running).toMatchObject({ StepStatus: 'InProgress', StepExecutionId: stepId(1, 4) });
      },
    );

    it('finds a not-started step by the id it lists under changeOnStart', async () => {
      const { ssm } = await setUp([TIES], { unstartedStepIds: 'changeOnStart' });
      now = at(5);

      const byPendingId = await listing(ssm, {
        AutomationExecutionId: execId(1),
        Filters: [{ Key: 'StepExecutionId', Values: [pendingStepExecutionId(stepId(1, 4)), stepId(1, 5)] }],
      });

      expect(byPendingId).toEqual(['s4:Pending']);
    });
  });

  describe('switch childListing', () => {
    const family = rateControlRun({
      parentId: execId(1),
      targets: [{ name: 'i-0aaa', durationSeconds: 30 }],
      maxConcurrency: 1,
    });
    const childId = family[1]?.id ?? '';

    it('with children=included lists children in every answer', async () => {
      const { ssm } = await setUp(family, { childListing: 'included' });
      now = at(5);

      expect(await executionIds(ssm)).toEqual([childId, execId(1)]);
      expect(
        await executionIds(ssm, { Filters: [{ Key: 'ExecutionStatus', Values: ['InProgress'] }] }),
      ).toEqual([childId, execId(1)]);
    });

    it('with children=onRequest lists children only for a ParentExecutionId or ExecutionId filter', async () => {
      const { ssm } = await setUp(family, { childListing: 'onRequest' });
      now = at(5);

      expect(await executionIds(ssm)).toEqual([execId(1)]);
      expect(
        await executionIds(ssm, { Filters: [{ Key: 'ExecutionStatus', Values: ['InProgress'] }] }),
      ).toEqual([execId(1)]);
      expect(
        await executionIds(ssm, { Filters: [{ Key: 'ParentExecutionId', Values: [execId(1)] }] }),
      ).toEqual([childId]);
      expect(await executionIds(ssm, { Filters: [{ Key: 'ExecutionId', Values: [childId] }] })).toEqual([
        childId,
      ]);
    });
  });

  describe('switch nextToken', () => {
    /** s1 started; s2, s3, s4 planned; s3 starts (out of plan order) between two page reads. */
    const outOfOrder = execution(1, [step(1, 1, 0), step(1, 2, 20), step(1, 3, 5), step(1, 4, 30)]);

    it.each<[SsmBehaviour['nextToken'], string[]]>([
      ['key', ['s4:Pending']],
      ['offset', ['s2:Pending', 's4:Pending']],
    ])('with token=%s serves %j after a step starts between two pages', async (nextToken, expected) => {
      // Prepare
      const { ssm } = await setUp([outOfOrder], { nextToken });
      now = at(4);
      const first = await steps(ssm, { AutomationExecutionId: execId(1), MaxResults: 2 });

      // Act
      now = at(6);
      const second = await steps(ssm, {
        AutomationExecutionId: execId(1),
        MaxResults: 2,
        NextToken: first.NextToken,
      });

      // Assess
      expect(first.StepExecutions?.map((s) => `${s.StepName}:${s.StepStatus}`)).toEqual([
        's1:InProgress',
        's2:Pending',
      ]);
      expect(second.StepExecutions?.map((s) => `${s.StepName}:${s.StepStatus}`)).toEqual(expected);
      expect(second.NextToken).toBeUndefined();
    });

    it('with token=offset shows one step twice with two statuses and skips another in one ReverseOrder read', async () => {
      // Prepare: not-started steps first, in plan order; s3 is the next to start.
      const run = execution(1, [
        step(1, 1, 0, 1),
        step(1, 2, 1),
        step(1, 3, 5),
        step(1, 4, 20),
        step(1, 5, 30),
      ]);
      const { ssm } = await setUp([run], {
        nextToken: 'offset',
        reverseOrderUnstarted: 'first',
        startTimeTies: 'listOrder',
      });
      const read = (NextToken?: string) =>
        steps(ssm, { AutomationExecutionId: execId(1), ReverseOrder: true, MaxResults: 2, NextToken });
      now = at(4);

      // Act
      const first = await read();
      now = at(6);
      const second = await read(first.NextToken);
      const rest = await read(second.NextToken);

      // Assess
      const names = (answer: typeof first) =>
        answer.StepExecutions?.map((s) => `${s.StepName}:${s.StepStatus}`);
      expect(names(first)).toEqual(['s3:Pending', 's4:Pending']);
      expect(names(second)).toEqual(['s3:InProgress', 's2:InProgress']);
      expect(names(rest)).toEqual(['s1:Success']);
    });

    it('with token=offset repeats an execution on the next page when a new one starts meanwhile', async () => {
      // Prepare
      const { ssm, sim } = await setUp(
        [execution(1, []), execution(2, [], { timeline: [{ at: 1, status: 'InProgress' }] })],
        {
          nextToken: 'offset',
        },
      );
      now = at(2);
      const first = await ssm.send(new DescribeAutomationExecutionsCommand({ MaxResults: 1 }));
      sim.addExecution(execution(3, [], { timeline: [{ at: 3, status: 'InProgress' }] }));
      now = at(4);

      // Act
      const second = await ssm.send(
        new DescribeAutomationExecutionsCommand({ MaxResults: 1, NextToken: first.NextToken }),
      );

      // Assess
      expect(first.AutomationExecutionMetadataList?.map((e) => e.AutomationExecutionId)).toEqual([execId(2)]);
      expect(second.AutomationExecutionMetadataList?.map((e) => e.AutomationExecutionId)).toEqual([
        execId(2),
      ]);
    });

    it('with token=offset skips an execution when one listed before it is forgotten meanwhile', async () => {
      // Prepare
      const { ssm, sim } = await setUp(
        [1, 2, 3].map((n) => execution(n, [], { timeline: [{ at: n, status: 'InProgress' }] })),
        { nextToken: 'offset' },
      );
      now = at(5);
      const first = await ssm.send(new DescribeAutomationExecutionsCommand({ MaxResults: 1 }));
      sim.forgetExecution(execId(3));

      // Act
      const second = await ssm.send(
        new DescribeAutomationExecutionsCommand({ MaxResults: 1, NextToken: first.NextToken }),
      );

      // Assess
      expect(first.AutomationExecutionMetadataList?.map((e) => e.AutomationExecutionId)).toEqual([execId(3)]);
      expect(second.AutomationExecutionMetadataList?.map((e) => e.AutomationExecutionId)).toEqual([
        execId(1),
      ]);
    });

    it('with token=offset answers InvalidNextToken for a token of another request', async () => {
      const { ssm } = await setUp([TIES], { nextToken: 'offset' });
      now = at(5);
      const token = (await steps(ssm, { AutomationExecutionId: execId(1), MaxResults: 2 })).NextToken;

      await expect(
        steps(ssm, { AutomationExecutionId: execId(1), MaxResults: 2, ReverseOrder: true, NextToken: token }),
      ).rejects.toMatchObject({ name: 'InvalidNextToken', $metadata: { httpStatusCode: 400 } });
      await expect(
        steps(ssm, { AutomationExecutionId: execId(1), NextToken: `${token}x` }),
      ).rejects.toMatchObject({
        name: 'InvalidNextToken',
      });
    });
  });

  describe('switch startTimeFilter', () => {
    it.each<[SsmBehaviour['startTimeFilter'], string[], string[]]>([
      ['exclusive', ['s3'], ['s1', 's2']],
      ['inclusive', ['s1', 's2', 's3'], ['s1', 's2', 's3']],
    ])(
      'with bounds=%s StartTimeAfter 1 s gives %j and StartTimeBefore 2 s gives %j',
      async (startTimeFilter, after, before) => {
        const { ssm } = await setUp([TIES], { startTimeFilter });
        now = at(5);
        const names = async (Key: 'StartTimeAfter' | 'StartTimeBefore', seconds: number) =>
          (
            await stepList(ssm, {
              AutomationExecutionId: execId(1),
              Filters: [{ Key, Values: [iso(seconds)] }],
            })
          ).map((s) => s.StepName);

        expect(await names('StartTimeAfter', 1)).toEqual(after);
        expect(await names('StartTimeBefore', 2)).toEqual(before);
      },
    );

    it.each<[SsmBehaviour['startTimeFilter'], string[]]>([
      ['exclusive', [execId(2)]],
      ['inclusive', [execId(2), execId(1)]],
    ])(
      'with bounds=%s filters executions started exactly at StartTimeAfter to %j',
      async (startTimeFilter, expected) => {
        const { ssm } = await setUp(
          [execution(1, []), execution(2, [], { timeline: [{ at: 1, status: 'InProgress' }] })],
          { startTimeFilter },
        );
        now = at(5);

        expect(await executionIds(ssm, { Filters: [{ Key: 'StartTimeAfter', Values: [iso(0)] }] })).toEqual(
          expected,
        );
      },
    );

    it('never matches a not-started step with a start-time filter', async () => {
      const { ssm } = await setUp([TIES], { startTimeFilter: 'inclusive' });
      now = at(5);

      const after = await listing(ssm, {
        AutomationExecutionId: execId(1),
        Filters: [{ Key: 'StartTimeAfter', Values: [iso(0)] }],
      });
      const before = await listing(ssm, {
        AutomationExecutionId: execId(1),
        Filters: [{ Key: 'StartTimeBefore', Values: [iso(1000)] }],
      });

      expect(after).toEqual(['s1:InProgress', 's2:InProgress', 's3:InProgress']);
      expect(before).toEqual(after);
    });
  });

  describe('switch visibilityLagSeconds', () => {
    // Lags under a 60 s maximum (hash of the id): s4 5.9 s, s3 37.8 s, s2 11.3 s.
    const lagged = execution(5, [
      { ...step(5, 4, 0), name: 'early' },
      { ...step(5, 3, 2), name: 'late' },
      { ...step(5, 2, 4), name: 'dynamic', plannedUpFront: false },
    ]);

    it('with lag=60 shows a step late and older than steps already listed, Pending until then', async () => {
      // Prepare
      expect([stepId(5, 4), stepId(5, 3), stepId(5, 2)].map((id) => stepVisibilityLagMs(id, 60))).toEqual([
        5923, 37833, 11341,
      ]);
      const { ssm } = await setUp([lagged], { visibilityLagSeconds: 60 });
      const read = async () => {
        const list = await stepList(ssm, { AutomationExecutionId: execId(5) });
        return list.map((s) => `${s.StepName}:${s.StepStatus}:${s.ExecutionStartTime?.getTime() ?? '-'}`);
      };

      // Act
      now = at(5);
      const atFive = await read();
      now = at(16);
      const atSixteen = await read();
      now = at(40);
      const atForty = await read();

      // Assess
      expect(atFive).toEqual(['early:Pending:-', 'late:Pending:-']);
      expect(atSixteen).toEqual([
        `early:InProgress:${at(0)}`,
        `dynamic:InProgress:${at(4)}`,
        'late:Pending:-',
      ]);
      expect(atForty).toEqual([
        `early:InProgress:${at(0)}`,
        `late:InProgress:${at(2)}`,
        `dynamic:InProgress:${at(4)}`,
      ]);
    });

    it('with lag=0 shows every step at its start, and the ground truth keeps real times under a lag', async () => {
      const { ssm } = await setUp([lagged], { visibilityLagSeconds: 0 });
      const { sim: laggedSim } = await setUp([lagged], { visibilityLagSeconds: 60 });
      now = at(5);

      expect(await listing(ssm, { AutomationExecutionId: execId(5) })).toEqual([
        'early:InProgress',
        'late:InProgress',
        'dynamic:InProgress',
      ]);
      expect(
        laggedSim
          .groundTruth()
          .filter((e) => e.kind === 'step')
          .map((e) => e.at),
      ).toEqual([at(0), at(2), at(4)]);
    });
  });
});
