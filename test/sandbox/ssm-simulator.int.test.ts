// Over-the-wire tests of the SSM simulator with the real SSMClient: views over time, filters, paging, errors, faults.
import {
  DescribeAutomationExecutionsCommand,
  type DescribeAutomationExecutionsCommandInput,
  DescribeAutomationStepExecutionsCommand,
  type DescribeAutomationStepExecutionsCommandInput,
  GetAutomationExecutionCommand,
  SSMClient,
  type SSMClientConfig,
  type StepExecution,
} from '@aws-sdk/client-ssm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SandboxError, ScenarioError } from '../../sandbox/errors';
import {
  demoScenarioPath,
  loadScenarioFile,
  type Scenario,
  type ScenarioExecution,
} from '../../sandbox/scenario';
import { DOCUMENTED_BEHAVIOUR } from '../../sandbox/ssm-behaviour';
import { SsmSimulator, type SsmSimulatorOptions } from '../../sandbox/ssm-simulator';

const START = Date.parse('2026-11-25T14:00:00Z');
const at = (seconds: number): number => START + seconds * 1000;
const iso = (seconds: number): string => new Date(at(seconds)).toISOString();
const execId = (n: number): string => `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`;
const stepId = (e: number, n: number): string =>
  `11111111-${String(e).padStart(4, '0')}-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * Executions 1–4 as SSM documents them: execution 2 is the child execution 1's `runChild` step
 * started, and failed, so that step failed (its `onFailure: Continue` lets `patch` run); execution 3
 * is cancelled by its one alarm going to `ALARM`; execution 4 starts late. Every step is planned up
 * front, so it is listed as `Pending` until it starts.
 */
function scenario(): Scenario {
  return {
    name: 'test',
    executions: [
      {
        id: execId(1),
        documentName: 'AWS-PatchInstanceWithRollback',
        documentVersion: '2',
        parentId: null,
        timeline: [
          { at: 0, status: 'InProgress' },
          { at: 10, status: 'Success', outputs: { out: ['1'] } },
        ],
        alarms: [{ at: 1, name: 'PatchHealth', state: 'UNKNOWN' }],
        steps: [
          {
            id: stepId(1, 1),
            name: 'runChild',
            action: 'aws:executeAutomation',
            onFailure: 'Continue',
            maxAttempts: 1,
            isCritical: false,
            timeoutSeconds: 600,
            inputs: { DocumentName: '"AWS-CreateImage"' },
            targetLocation: { accounts: ['111122223333'], regions: ['eu-west-1'], executionRoleName: 'Role' },
            timeline: [
              { at: 0, status: 'InProgress', outputs: { ExecutionId: [execId(2)] } },
              {
                at: 4.2,
                status: 'Failed',
                outputs: { ExecutionId: [execId(2)], Status: ['Failed'] },
                failureMessage: 'child failed',
                failureDetails: {
                  FailureStage: 'Execution',
                  FailureType: 'Verification',
                  Details: { x: ['y'] },
                },
                response: 'bad',
                responseCode: '500',
              },
            ],
            alarms: [{ at: 1, name: 'PatchHealth', state: 'UNKNOWN' }],
          },
          {
            id: stepId(1, 2),
            name: 'patch',
            action: 'aws:runCommand',
            timeline: [
              { at: 5, status: 'InProgress' },
              { at: 10, status: 'Success' },
            ],
          },
        ],
      },
      {
        id: execId(2),
        documentName: 'AWS-CreateImage',
        documentVersion: '1',
        parentId: execId(1),
        timeline: [
          { at: 1, status: 'InProgress' },
          { at: 4, status: 'Failed', failureMessage: 'image failed' },
        ],
        steps: [
          {
            id: stepId(2, 1),
            name: 'createImage',
            action: 'aws:createImage',
            timeline: [
              { at: 1, status: 'InProgress' },
              { at: 4, status: 'Failed', failureMessage: 'image failed' },
            ],
          },
        ],
      },
      {
        id: execId(3),
        documentName: 'AWS-RestartEC2Instance',
        timeline: [
          { at: 2, status: 'Pending' },
          { at: 2.5, status: 'InProgress' },
          { at: 6, status: 'Cancelling' },
          { at: 7, status: 'Cancelled' },
        ],
        alarms: [
          { at: 3, name: 'RestartHealth', state: 'UNKNOWN' },
          { at: 6, name: 'RestartHealth', state: 'ALARM' },
        ],
        steps: [
          {
            id: stepId(3, 1),
            name: 'startInstances',
            action: 'aws:changeInstanceState',
            timeline: [
              { at: 2.5, status: 'InProgress', response: 'starting' },
              { at: 3.5, status: 'InProgress', response: null },
              { at: 6.5, status: 'Cancelled' },
            ],
            alarms: [
              { at: 3, name: 'RestartHealth', state: 'UNKNOWN' },
              { at: 6, name: 'RestartHealth', state: 'ALARM' },
            ],
          },
        ],
      },
      {
        id: execId(4),
        documentName: 'Custom-Later',
        timeline: [{ at: 100, status: 'InProgress' }],
        steps: [],
      },
    ],
  };
}

/** One execution with `count` steps, one starting every 0.1 s. */
function manySteps(count: number): ScenarioExecution {
  return {
    id: execId(9),
    documentName: 'AWS-Many',
    timeline: [{ at: 0, status: 'InProgress' }],
    steps: Array.from({ length: count }, (_, i) => ({
      id: stepId(9, i + 1),
      name: `step${i + 1}`,
      action: i % 2 === 0 ? 'aws:runCommand' : 'aws:sleep',
      timeline: [
        { at: i / 10, status: 'InProgress' },
        { at: i / 10 + 0.05, status: i === count - 1 ? 'Failed' : 'Success' },
      ],
    })),
  };
}

describe('Class: SsmSimulator', () => {
  let now = START;
  let sim: SsmSimulator;
  let ssm: SSMClient;
  const started: SsmSimulator[] = [];
  const clients: SSMClient[] = [];

  const startSim = async (options: Partial<SsmSimulatorOptions> = {}): Promise<SsmSimulator> => {
    const simulator = new SsmSimulator({
      scenario: scenario(),
      startEpochMs: START,
      clock: () => now,
      ...options,
    });
    await simulator.start();
    started.push(simulator);
    return simulator;
  };
  const clientFor = (simulator: SsmSimulator, config: SSMClientConfig = {}): SSMClient => {
    const client = new SSMClient({
      endpoint: simulator.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
      ...config,
    });
    clients.push(client);
    return client;
  };
  const executions = (input: DescribeAutomationExecutionsCommandInput = {}, client = ssm) =>
    client.send(new DescribeAutomationExecutionsCommand(input));
  const steps = (input: DescribeAutomationStepExecutionsCommandInput, client = ssm) =>
    client.send(new DescribeAutomationStepExecutionsCommand(input));
  const ids = async (input: DescribeAutomationExecutionsCommandInput = {}): Promise<string[]> =>
    ((await executions(input)).AutomationExecutionMetadataList ?? []).map(
      (e) => e.AutomationExecutionId ?? '',
    );

  beforeEach(async () => {
    now = START;
    sim = await startSim();
    ssm = clientFor(sim);
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    for (const simulator of started.splice(0)) await simulator.stop();
    vi.unstubAllEnvs();
  });

  describe('DescribeAutomationExecutions', () => {
    it('answers only executions whose first entry has passed, newest start first', async () => {
      now = at(2);

      expect(await ids()).toEqual([execId(3), execId(2), execId(1)]);
    });

    it('answers nothing before the scenario starts', async () => {
      now = at(-1);

      const answer = await executions();

      expect(answer.AutomationExecutionMetadataList).toEqual([]);
      expect(answer.NextToken).toBeUndefined();
    });

    it('answers the fields of a running execution, omitting absent ones', async () => {
      // Prepare
      now = at(4.5);

      // Act
      const list = (await executions()).AutomationExecutionMetadataList ?? [];
      const parent = list.find((e) => e.AutomationExecutionId === execId(1));

      // Assess
      expect(parent).toEqual({
        AutomationExecutionId: execId(1),
        DocumentName: 'AWS-PatchInstanceWithRollback',
        DocumentVersion: '2',
        AutomationExecutionStatus: 'InProgress',
        ExecutionStartTime: new Date(at(0)),
        Mode: 'Auto',
        CurrentStepName: 'runChild',
        CurrentAction: 'aws:executeAutomation',
        Targets: [],
        ResolvedTargets: { ParameterValues: [], Truncated: false },
        AutomationType: 'Local',
        TriggeredAlarms: [{ Name: 'PatchHealth', State: 'UNKNOWN' }],
      });
    });

    it('answers end time, failure message and parent id of a finished child', async () => {
      now = at(6);

      const list = (await executions()).AutomationExecutionMetadataList ?? [];
      const child = list.find((e) => e.AutomationExecutionId === execId(2));

      expect(child).toMatchObject({
        AutomationExecutionStatus: 'Failed',
        ExecutionStartTime: new Date(at(1)),
        ExecutionEndTime: new Date(at(4)),
        ParentAutomationExecutionId: execId(1),
        FailureMessage: 'image failed',
      });
      expect(child?.ExecutionStartTime).toBeInstanceOf(Date);
    });

    it('answers execution outputs from the entry that sets them', async () => {
      now = at(10);

      const list = (await executions({ Filters: [{ Key: 'ExecutionId', Values: [execId(1)] }] }))
        .AutomationExecutionMetadataList;

      expect(list?.[0]).toMatchObject({ AutomationExecutionStatus: 'Success', Outputs: { out: ['1'] } });
    });

    it('answers statuses OR-ed within an ExecutionStatus filter', async () => {
      now = at(3);

      expect(await ids({ Filters: [{ Key: 'ExecutionStatus', Values: ['InProgress', 'Pending'] }] })).toEqual(
        [execId(3), execId(2), execId(1)],
      );
      now = at(5);
      expect(await ids({ Filters: [{ Key: 'ExecutionStatus', Values: ['Failed'] }] })).toEqual([execId(2)]);
    });

    it('answers StartTimeAfter and StartTimeBefore with strict bounds', async () => {
      now = at(5);

      expect(await ids({ Filters: [{ Key: 'StartTimeAfter', Values: [iso(1)] }] })).toEqual([execId(3)]);
      expect(await ids({ Filters: [{ Key: 'StartTimeAfter', Values: [iso(0.5)] }] })).toEqual([
        execId(3),
        execId(2),
      ]);
      expect(await ids({ Filters: [{ Key: 'StartTimeBefore', Values: [iso(1)] }] })).toEqual([execId(1)]);
    });

    it('answers ExecutionId, ParentExecutionId and DocumentNamePrefix filters', async () => {
      now = at(5);

      expect(await ids({ Filters: [{ Key: 'ExecutionId', Values: [execId(3), execId(4)] }] })).toEqual([
        execId(3),
      ]);
      expect(await ids({ Filters: [{ Key: 'ParentExecutionId', Values: [execId(1)] }] })).toEqual([
        execId(2),
      ]);
      expect(
        await ids({ Filters: [{ Key: 'DocumentNamePrefix', Values: ['AWS-Create', 'AWS-Restart'] }] }),
      ).toEqual([execId(3), execId(2)]);
    });

    it('answers the AND of several filters', async () => {
      now = at(5);

      const found = await ids({
        Filters: [
          { Key: 'ExecutionStatus', Values: ['InProgress', 'Failed'] },
          { Key: 'DocumentNamePrefix', Values: ['AWS-'] },
          { Key: 'StartTimeAfter', Values: ['2026-11-25T14:00:00Z'] },
        ],
      });

      expect(found).toEqual([execId(3), execId(2)]);
    });

    it('answers InvalidFilterValue for a start time that is not ISO 8601', async () => {
      await expect(
        executions({ Filters: [{ Key: 'StartTimeAfter', Values: ['yesterday'] }] }),
      ).rejects.toMatchObject({
        name: 'InvalidFilterValue',
        $metadata: { httpStatusCode: 400 },
      });
    });

    it('answers InvalidFilterKey for a model key the simulator does not support', async () => {
      await expect(executions({ Filters: [{ Key: 'TagKey', Values: ['env'] }] })).rejects.toMatchObject({
        name: 'InvalidFilterKey',
      });
    });

    it('answers ValidationException for a key outside the model, too many filters or values', async () => {
      const status = { Key: 'ExecutionStatus' as const, Values: ['InProgress'] };

      await expect(executions({ Filters: [{ Key: 'Bogus' as never, Values: ['x'] }] })).rejects.toMatchObject(
        { name: 'ValidationException', message: expect.stringContaining('enum value set') },
      );
      await expect(executions({ Filters: Array.from({ length: 11 }, () => status) })).rejects.toMatchObject({
        name: 'ValidationException',
      });
      await expect(executions({ Filters: [] })).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(
        executions({
          Filters: [{ Key: 'ExecutionStatus', Values: Array.from({ length: 11 }, () => 'Failed') }],
        }),
      ).rejects.toMatchObject({ name: 'ValidationException' });
    });

    it.each([0, 51])('answers ValidationException for MaxResults %i', async (maxResults) => {
      await expect(executions({ MaxResults: maxResults })).rejects.toMatchObject({
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
    });

    it('pages newest first without repeating when an execution starts between two pages', async () => {
      // Prepare
      now = at(3);
      const first = await executions({ MaxResults: 2 });
      sim.addExecution({
        id: execId(5),
        documentName: 'AWS-New',
        timeline: [{ at: 3.5, status: 'InProgress' }],
        steps: [],
      });
      now = at(4);

      // Act
      const second = await executions({ MaxResults: 2, NextToken: first.NextToken });

      // Assess
      expect(first.AutomationExecutionMetadataList?.map((e) => e.AutomationExecutionId)).toEqual([
        execId(3),
        execId(2),
      ]);
      expect(first.NextToken).toEqual(expect.any(String));
      expect(second.AutomationExecutionMetadataList?.map((e) => e.AutomationExecutionId)).toEqual([
        execId(1),
      ]);
      expect(second.NextToken).toBeUndefined();
    });

    it('answers InvalidNextToken for a garbled token, one from other filters and one from another simulator', async () => {
      // Prepare
      now = at(3);
      const token = (await executions({ MaxResults: 1 })).NextToken;
      const other = await startSim();
      const otherToken = (await executions({ MaxResults: 1 }, clientFor(other))).NextToken;

      // Act
      const garbled = executions({ NextToken: `${token}x` });
      const otherFilters = executions({
        MaxResults: 1,
        NextToken: token,
        Filters: [{ Key: 'AutomationType', Values: ['Local'] }],
      });
      const foreign = executions({ NextToken: otherToken });

      // Assess
      await expect(garbled).rejects.toMatchObject({ name: 'InvalidNextToken' });
      await expect(otherFilters).rejects.toMatchObject({ name: 'InvalidNextToken' });
      await expect(foreign).rejects.toMatchObject({ name: 'InvalidNextToken' });
      await expect(executions({ MaxResults: 1, NextToken: token })).resolves.toMatchObject({
        AutomationExecutionMetadataList: [{ AutomationExecutionId: execId(2) }],
      });
    });
  });

  describe('DescribeAutomationStepExecutions', () => {
    it('answers the fields of a step, from the entries that set them', async () => {
      // Prepare
      now = at(4.5);

      // Act
      const answer = await steps({ AutomationExecutionId: execId(1) });

      // Assess
      expect(answer.StepExecutions).toEqual([
        {
          StepName: 'runChild',
          Action: 'aws:executeAutomation',
          TimeoutSeconds: 600,
          OnFailure: 'Continue',
          MaxAttempts: 1,
          ExecutionStartTime: new Date(at(0)),
          ExecutionEndTime: new Date(at(4.2)),
          StepStatus: 'Failed',
          ResponseCode: '500',
          Inputs: { DocumentName: '"AWS-CreateImage"' },
          Outputs: { ExecutionId: [execId(2)], Status: ['Failed'] },
          Response: 'bad',
          FailureMessage: 'child failed',
          FailureDetails: { FailureStage: 'Execution', FailureType: 'Verification', Details: { x: ['y'] } },
          StepExecutionId: stepId(1, 1),
          IsCritical: false,
          TriggeredAlarms: [{ Name: 'PatchHealth', State: 'UNKNOWN' }],
          TargetLocation: { Accounts: ['111122223333'], Regions: ['eu-west-1'], ExecutionRoleName: 'Role' },
        },
        { StepName: 'patch', Action: 'aws:runCommand', StepStatus: 'Pending', StepExecutionId: stepId(1, 2) },
      ]);
    });

    it('drops a field a later entry clears and shows the latest state of the one alarm', async () => {
      // Prepare
      const stepOf = async (): Promise<StepExecution | undefined> =>
        (await steps({ AutomationExecutionId: execId(3) })).StepExecutions?.[0];
      now = at(3.2);
      const early = await stepOf();
      now = at(6.2);

      // Act
      const late = await stepOf();
      const execution = (await executions({ Filters: [{ Key: 'ExecutionId', Values: [execId(3)] }] }))
        .AutomationExecutionMetadataList?.[0];

      // Assess
      expect(early).toMatchObject({
        StepStatus: 'InProgress',
        Response: 'starting',
        TriggeredAlarms: [{ Name: 'RestartHealth', State: 'UNKNOWN' }],
      });
      expect(late?.StepStatus).toBe('InProgress');
      expect(late).not.toHaveProperty('Response');
      expect(late).not.toHaveProperty('ExecutionEndTime');
      expect(late?.TriggeredAlarms).toEqual([{ Name: 'RestartHealth', State: 'ALARM' }]);
      expect(execution).toMatchObject({
        AutomationExecutionStatus: 'Cancelling',
        TriggeredAlarms: [{ Name: 'RestartHealth', State: 'ALARM' }],
      });
    });

    it('answers the end time and outputs of a finished step, and the next step running', async () => {
      now = at(6);

      const [first, second] = (await steps({ AutomationExecutionId: execId(1) })).StepExecutions ?? [];

      expect(first).toMatchObject({ StepStatus: 'Failed', ExecutionEndTime: new Date(at(4.2)) });
      expect(first?.Outputs).toEqual({ ExecutionId: [execId(2)], Status: ['Failed'] });
      expect(second).toMatchObject({
        StepName: 'patch',
        StepStatus: 'InProgress',
        ExecutionStartTime: new Date(at(5)),
      });
    });

    it('answers AutomationExecutionNotFoundException for an unknown or not yet started execution', async () => {
      await expect(steps({ AutomationExecutionId: execId(77) })).rejects.toMatchObject({
        name: 'AutomationExecutionNotFoundException',
        $metadata: { httpStatusCode: 400 },
      });
      await expect(steps({ AutomationExecutionId: execId(4) })).rejects.toMatchObject({
        name: 'AutomationExecutionNotFoundException',
      });
    });

    it('answers ValidationException for an execution id that is not 36 characters', async () => {
      await expect(steps({ AutomationExecutionId: 'abc' })).rejects.toMatchObject({
        name: 'ValidationException',
      });
    });

    it('pages 60 steps in two pages of 50 and 10 in start order', async () => {
      // Prepare
      sim.setScenario({ name: 'many', executions: [manySteps(60)] });
      now = at(10);

      // Act
      const first = await steps({ AutomationExecutionId: execId(9) });
      const second = await steps({ AutomationExecutionId: execId(9), NextToken: first.NextToken });

      // Assess
      expect(first.StepExecutions).toHaveLength(50);
      expect(first.NextToken).toEqual(expect.any(String));
      expect(second.StepExecutions).toHaveLength(10);
      expect(second.NextToken).toBeUndefined();
      const names = [...(first.StepExecutions ?? []), ...(second.StepExecutions ?? [])].map(
        (s) => s.StepName,
      );
      expect(names).toEqual(Array.from({ length: 60 }, (_, i) => `step${i + 1}`));
    });

    it('answers newest first with ReverseOrder, paging with MaxResults', async () => {
      // Prepare
      sim.setScenario({ name: 'many', executions: [manySteps(60)] });
      now = at(10);

      // Act
      const first = await steps({ AutomationExecutionId: execId(9), ReverseOrder: true, MaxResults: 3 });
      const second = await steps({
        AutomationExecutionId: execId(9),
        ReverseOrder: true,
        MaxResults: 3,
        NextToken: first.NextToken,
      });

      // Assess
      expect(first.StepExecutions?.map((s) => s.StepName)).toEqual(['step60', 'step59', 'step58']);
      expect(second.StepExecutions?.map((s) => s.StepName)).toEqual(['step57', 'step56', 'step55']);
    });

    it('answers InvalidNextToken for a token of the other order or another execution', async () => {
      // Prepare
      sim.setScenario({ name: 'many', executions: [manySteps(60), ...scenario().executions] });
      now = at(10);
      const token = (await steps({ AutomationExecutionId: execId(9), MaxResults: 5 })).NextToken;

      // Act
      const reversed = steps({ AutomationExecutionId: execId(9), ReverseOrder: true, NextToken: token });
      const otherExecution = steps({ AutomationExecutionId: execId(1), NextToken: token });

      // Assess
      await expect(reversed).rejects.toMatchObject({ name: 'InvalidNextToken' });
      await expect(otherExecution).rejects.toMatchObject({ name: 'InvalidNextToken' });
    });

    it.each([0, 51])('answers ValidationException for MaxResults %i', async (maxResults) => {
      await expect(steps({ AutomationExecutionId: execId(1), MaxResults: maxResults })).rejects.toMatchObject(
        {
          name: 'ValidationException',
        },
      );
    });

    it('answers each step filter', async () => {
      // Prepare
      sim.setScenario({ name: 'many', executions: [manySteps(6)] });
      now = at(10);
      const names = async (
        Filters: DescribeAutomationStepExecutionsCommandInput['Filters'],
      ): Promise<string[]> =>
        ((await steps({ AutomationExecutionId: execId(9), Filters })).StepExecutions ?? []).map(
          (s) => s.StepName ?? '',
        );

      // Act + Assess
      expect(await names([{ Key: 'StepExecutionStatus', Values: ['Failed'] }])).toEqual(['step6']);
      expect(await names([{ Key: 'StepExecutionId', Values: [stepId(9, 2), stepId(9, 4)] }])).toEqual([
        'step2',
        'step4',
      ]);
      expect(await names([{ Key: 'StepName', Values: ['step3'] }])).toEqual(['step3']);
      expect(await names([{ Key: 'Action', Values: ['aws:sleep'] }])).toEqual(['step2', 'step4', 'step6']);
      expect(await names([{ Key: 'StartTimeAfter', Values: [iso(0.3)] }])).toEqual(['step5', 'step6']);
      expect(await names([{ Key: 'StartTimeBefore', Values: [iso(0.1)] }])).toEqual(['step1']);
      expect(
        await names([
          { Key: 'Action', Values: ['aws:runCommand'] },
          { Key: 'StartTimeAfter', Values: [iso(0.1)] },
        ]),
      ).toEqual(['step3', 'step5']);
    });

    it('answers InvalidFilterValue and ValidationException for bad step filters', async () => {
      const id = execId(1);

      await expect(
        steps({ AutomationExecutionId: id, Filters: [{ Key: 'ParentStepIteration', Values: ['first'] }] }),
      ).rejects.toMatchObject({ name: 'InvalidFilterValue' });
      await expect(
        steps({ AutomationExecutionId: id, Filters: [{ Key: 'StartTimeBefore', Values: ['2026-13-45'] }] }),
      ).rejects.toMatchObject({ name: 'InvalidFilterValue' });
      await expect(
        steps({
          AutomationExecutionId: id,
          Filters: Array.from({ length: 7 }, () => ({ Key: 'StepName' as const, Values: ['x'] })),
        }),
      ).rejects.toMatchObject({ name: 'ValidationException' });
    });
  });

  describe('throttling and faults', () => {
    it('answers ThrottlingException above the per-operation rate', async () => {
      // Prepare
      const throttled = await startSim({ throttleTps: 1 });
      const client = clientFor(throttled);
      await executions({}, client);

      // Act
      const second = executions({}, client);
      const otherOperation = steps({ AutomationExecutionId: execId(1) }, client);

      // Assess
      await expect(second).rejects.toMatchObject({
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      });
      await expect(otherOperation).resolves.toMatchObject({
        StepExecutions: [
          { StepName: 'runChild', StepStatus: 'InProgress' },
          { StepName: 'patch', StepStatus: 'Pending' },
        ],
      });
    });

    it('lets the SDK standard retry get through throttling', async () => {
      // Prepare
      const throttled = await startSim({ throttleTps: 20, throttleBurst: 1 });
      const client = clientFor(throttled, { maxAttempts: 10 });

      // Act
      const answers = await Promise.all([1, 2, 3].map(() => executions({}, client)));

      // Assess
      const attempts = answers.map((answer) => answer.$metadata.attempts ?? 0);
      expect(Math.max(...attempts)).toBeGreaterThan(1);
      expect(throttled.callCounts().DescribeAutomationExecutions).toBe(attempts.reduce((a, b) => a + b, 0));
    });

    it('succeeds with the default retry after two injected throttles', async () => {
      // Prepare
      const client = clientFor(sim, { maxAttempts: undefined });
      sim.injectFaults({ nextCalls: ['throttle', 'throttle'] });

      // Act
      const answer = await executions({}, client);

      // Assess
      expect(answer.$metadata.attempts).toBe(3);
      expect(sim.callCounts()).toEqual({ DescribeAutomationExecutions: 3 });
      expect(sim.pendingFaults()).toBe(0);
    });

    it('answers InternalServerError 500 for an injected internal fault, then serves normally', async () => {
      sim.injectFaults({ nextCalls: ['internal', 'ok'] });

      await expect(executions()).rejects.toMatchObject({
        name: 'InternalServerError',
        $metadata: { httpStatusCode: 500 },
      });
      await expect(executions()).resolves.toMatchObject({
        AutomationExecutionMetadataList: [{ AutomationExecutionId: execId(1) }],
      });
    });

    it('resets the connection for an injected reset', async () => {
      sim.injectFaults({ nextCalls: ['reset'] });

      await expect(executions()).rejects.toMatchObject({ code: 'ECONNRESET' });
      await expect(executions()).resolves.toMatchObject({
        AutomationExecutionMetadataList: [{ AutomationExecutionId: execId(1) }],
      });
      expect(sim.callCounts().DescribeAutomationExecutions).toBe(2);
    });

    it('lets a payload mutator drop fields and invent statuses', async () => {
      // Prepare
      now = at(1);
      sim.setPayloadMutator((operation, body) => {
        if (operation !== 'DescribeAutomationExecutions') return undefined;
        const list = body.AutomationExecutionMetadataList as Record<string, unknown>[];
        for (const item of list) {
          delete item.ExecutionStartTime;
          item.AutomationExecutionStatus = 'BrandNewStatus';
        }
        return body;
      });

      // Act
      const list = (await executions()).AutomationExecutionMetadataList ?? [];
      const untouched = await steps({ AutomationExecutionId: execId(1) });

      // Assess
      expect(list.map((e) => e.AutomationExecutionStatus)).toEqual(['BrandNewStatus', 'BrandNewStatus']);
      expect(list[0]).not.toHaveProperty('ExecutionStartTime');
      expect(untouched.StepExecutions?.[0]?.StepStatus).toBe('InProgress');
      sim.setPayloadMutator();
      expect((await executions()).AutomationExecutionMetadataList?.[0]?.AutomationExecutionStatus).toBe(
        'InProgress',
      );
    });

    it('sends a string returned by the payload mutator as the raw body', async () => {
      sim.setPayloadMutator(() => '{"AutomationExecutionMetadataList": [');

      await expect(executions()).rejects.toMatchObject({ name: 'SyntaxError' });
    });
  });

  describe('bookkeeping', () => {
    it('counts calls per operation and resets the counts', async () => {
      // Prepare
      await executions();
      await executions();
      await steps({ AutomationExecutionId: execId(1) });

      // Act
      const counts = sim.callCounts();
      sim.resetCallCounts();

      // Assess
      expect(counts).toEqual({ DescribeAutomationExecutions: 2, DescribeAutomationStepExecutions: 1 });
      expect(sim.callCounts()).toEqual({});
    });

    it('answers UnknownOperationException for an operation it does not implement', async () => {
      await expect(
        ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: execId(1) })),
      ).rejects.toMatchObject({
        name: 'UnknownOperationException',
      });
    });

    it('answers a client configured through AWS_ENDPOINT_URL_SSM', async () => {
      // Prepare
      vi.stubEnv('AWS_ENDPOINT_URL_SSM', sim.endpoint);
      const client = new SSMClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      clients.push(client);

      // Act
      const answer = await executions({}, client);

      // Assess
      expect(answer.AutomationExecutionMetadataList?.map((e) => e.AutomationExecutionId)).toEqual([
        execId(1),
      ]);
    });

    it('returns the ground truth up to now: statuses with previous status, alarm changes', async () => {
      // Prepare
      now = at(4.5);

      // Act
      const truth = sim.groundTruth().filter((entry) => entry.executionId === execId(1));

      // Assess
      expect(truth).toEqual([
        { kind: 'execution', executionId: execId(1), status: 'InProgress', previousStatus: null, at: at(0) },
        {
          kind: 'step',
          executionId: execId(1),
          stepExecutionId: stepId(1, 1),
          status: 'InProgress',
          previousStatus: 'Pending',
          at: at(0),
        },
        { kind: 'alarm', executionId: execId(1), alarmName: 'PatchHealth', alarmState: 'UNKNOWN', at: at(1) },
        {
          kind: 'alarm',
          executionId: execId(1),
          stepExecutionId: stepId(1, 1),
          alarmName: 'PatchHealth',
          alarmState: 'UNKNOWN',
          at: at(1),
        },
        {
          kind: 'step',
          executionId: execId(1),
          stepExecutionId: stepId(1, 1),
          status: 'Failed',
          previousStatus: 'InProgress',
          at: at(4.2),
        },
      ]);
    });

    it('plays the demo scenario', async () => {
      // Prepare
      const demo = await startSim({ scenario: await loadScenarioFile(demoScenarioPath()) });
      now = at(20);

      // Act
      const list = (await executions({}, clientFor(demo))).AutomationExecutionMetadataList ?? [];

      // Assess
      expect(list.map((e) => e.AutomationExecutionStatus).sort()).toEqual([
        'Cancelled',
        'Failed',
        'Success',
        'Success',
        'Success',
        'Success',
      ]);
    });

    it('shows the documented behaviour without a behaviour option: planned steps Pending, history forgotten after 30 days', async () => {
      // Prepare
      now = at(2.5);
      const early = (await steps({ AutomationExecutionId: execId(1) })).StepExecutions ?? [];
      now = at(10) + 31 * 86_400_000;

      // Act
      const late = await ids();

      // Assess
      expect(sim.behaviour).toEqual(DOCUMENTED_BEHAVIOUR);
      expect(early.map((s) => `${s.StepName}:${s.StepStatus}`)).toEqual([
        'runChild:InProgress',
        'patch:Pending',
      ]);
      expect(late).toEqual([execId(4)]);
    });

    it('rejects an invalid scenario and bad options', () => {
      expect(() => new SsmSimulator({ scenario: { name: '', executions: [] }, startEpochMs: START })).toThrow(
        ScenarioError,
      );
      expect(() => new SsmSimulator({ scenario: scenario(), startEpochMs: START, throttleTps: 0 })).toThrow(
        SandboxError,
      );
      expect(() => sim.addExecution({ ...manySteps(1), id: execId(1) })).toThrow('duplicate id');
    });

    it('closes kept-alive connections on stop and refuses calls afterwards', async () => {
      // Prepare
      await executions();
      const endpoint = sim.endpoint;

      // Act
      await sim.stop();

      // Assess
      expect(() => sim.endpoint).toThrow(SandboxError);
      const late = new SSMClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 1,
      });
      clients.push(late);
      await expect(executions({}, late)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
  });
});
