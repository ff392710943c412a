// Tests of the SSM adapter over a mocked SSMClient: paging, filters, mapping, skipped records, errors.
import 'aws-sdk-client-mock-vitest/extend';
import {
  type AutomationExecutionMetadata,
  AutomationExecutionNotFoundException,
  DescribeAutomationExecutionsCommand,
  DescribeAutomationStepExecutionsCommand,
  SSMClient,
  type StepExecution,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SsmExecutionSource, toExecutionView, toStepView } from '../../lambda/adapters/ssm';
import { ExecutionNotFoundError, MalformedRecordError, ServiceError } from '../../lambda/core/errors';
import { IN_FLIGHT_STATUSES } from '../../lambda/core/status';

const client = new SSMClient({});
const ssm = mockClient(client);

function execution(
  id: string,
  overrides: Partial<AutomationExecutionMetadata> = {},
): AutomationExecutionMetadata {
  return {
    AutomationExecutionId: id,
    AutomationExecutionStatus: 'InProgress',
    DocumentName: 'Doc',
    ...overrides,
  };
}

describe('Class: SsmExecutionSource', () => {
  beforeEach(() => {
    ssm.reset();
  });

  it('follows NextToken through every page of DescribeAutomationExecutions', async () => {
    // Prepare
    ssm
      .on(DescribeAutomationExecutionsCommand)
      .resolvesOnce({
        AutomationExecutionMetadataList: [execution('e-1'), execution('e-2')],
        NextToken: 'page-2',
      })
      .resolvesOnce({ AutomationExecutionMetadataList: [execution('e-3')] });
    const source = new SsmExecutionSource({ client });

    // Act
    const views = await source.listInFlight();

    // Assess
    expect(views.map((v) => v.executionId)).toEqual(['e-1', 'e-2', 'e-3']);
    expect(ssm).toHaveReceivedCommandTimes(DescribeAutomationExecutionsCommand, 2);
    expect(ssm).toHaveReceivedNthCommandWith(DescribeAutomationExecutionsCommand, 1, {
      NextToken: undefined,
    });
    expect(ssm).toHaveReceivedNthCommandWith(DescribeAutomationExecutionsCommand, 2, { NextToken: 'page-2' });
    expect(source.calls.get('DescribeAutomationExecutions')).toBe(2);
  });

  it('filters in-flight executions on the ten non-terminal statuses', async () => {
    ssm.on(DescribeAutomationExecutionsCommand).resolves({ AutomationExecutionMetadataList: [] });

    await new SsmExecutionSource({ client }).listInFlight();

    expect(ssm).toHaveReceivedCommandWith(DescribeAutomationExecutionsCommand, {
      Filters: [{ Key: 'ExecutionStatus', Values: [...IN_FLIGHT_STATUSES] }],
      MaxResults: 50,
    });
    const input = ssm.commandCalls(DescribeAutomationExecutionsCommand)[0]?.args[0].input;
    expect(input?.Filters?.[0]?.Values).toHaveLength(10);
  });

  it('asks for executions started after a time, without milliseconds', async () => {
    ssm.on(DescribeAutomationExecutionsCommand).resolves({ AutomationExecutionMetadataList: [] });

    await new SsmExecutionSource({ client }).listStartedPage({
      after: '2026-01-01T10:20:30.456Z',
      before: null,
      nextToken: null,
    });

    expect(ssm).toHaveReceivedCommandWith(DescribeAutomationExecutionsCommand, {
      Filters: [{ Key: 'StartTimeAfter', Values: ['2026-01-01T10:20:30Z'] }],
    });
  });

  it('lists one page of a start-time window and hands its token back', async () => {
    // Prepare
    ssm.on(DescribeAutomationExecutionsCommand).resolves({
      AutomationExecutionMetadataList: [
        {
          AutomationExecutionId: 'e'.repeat(36),
          DocumentName: 'Doc',
          AutomationExecutionStatus: 'Success',
          ExecutionStartTime: new Date('2026-01-01T10:30:00Z'),
        },
      ],
      NextToken: 'more',
    });

    // Act
    const page = await new SsmExecutionSource({ client }).listStartedPage({
      after: '2026-01-01T10:20:30.456Z',
      before: '2026-01-01T11:00:00.000Z',
      nextToken: 'token-1',
    });

    // Assess
    expect(ssm).toHaveReceivedCommandWith(DescribeAutomationExecutionsCommand, {
      Filters: [
        { Key: 'StartTimeAfter', Values: ['2026-01-01T10:20:30Z'] },
        { Key: 'StartTimeBefore', Values: ['2026-01-01T11:00:00Z'] },
      ],
      NextToken: 'token-1',
    });
    expect(ssm).toHaveReceivedCommandTimes(DescribeAutomationExecutionsCommand, 1);
    expect(page.executions.map((view) => view.executionId)).toEqual(['e'.repeat(36)]);
    expect(page.nextToken).toBe('more');
  });

  it('describes executions by id in chunks of ten', async () => {
    // Prepare
    const ids = Array.from({ length: 23 }, (_, i) => `e-${i}`);
    ssm.on(DescribeAutomationExecutionsCommand).callsFake((input: { Filters: { Values: string[] }[] }) => ({
      AutomationExecutionMetadataList: (input.Filters[0]?.Values ?? []).map((id) => execution(id)),
    }));

    // Act
    const views = await new SsmExecutionSource({ client }).describeExecutions(ids);

    // Assess
    expect(views.map((v) => v.executionId)).toEqual(ids);
    expect(ssm).toHaveReceivedCommandTimes(DescribeAutomationExecutionsCommand, 3);
    expect(ssm).toHaveReceivedNthCommandWith(DescribeAutomationExecutionsCommand, 1, {
      Filters: [{ Key: 'ExecutionId', Values: ids.slice(0, 10) }],
    });
    expect(ssm).toHaveReceivedNthCommandWith(DescribeAutomationExecutionsCommand, 2, {
      Filters: [{ Key: 'ExecutionId', Values: ids.slice(10, 20) }],
    });
    expect(ssm).toHaveReceivedNthCommandWith(DescribeAutomationExecutionsCommand, 3, {
      Filters: [{ Key: 'ExecutionId', Values: ids.slice(20) }],
    });
  });

  it('makes no call to describe no execution', async () => {
    const views = await new SsmExecutionSource({ client }).describeExecutions([]);

    expect(views).toEqual([]);
    expect(ssm).not.toHaveReceivedAnyCommand();
  });

  it('reads one page of steps in forward order with the query as filters, and returns the next token', async () => {
    // Prepare
    ssm.on(DescribeAutomationStepExecutionsCommand).resolves({
      StepExecutions: [{ StepExecutionId: 's-2', StepName: 'b', StepStatus: 'InProgress' }],
      NextToken: 'next',
    });

    // Act
    const page = await new SsmExecutionSource({ client }).readStepPage({
      executionId: 'e-1',
      query: {
        startedAfter: '2026-11-25T12:00:00Z',
        startedBefore: '2026-11-25T12:05:00Z',
        stepExecutionIds: ['s-1', 's-2'],
        stepNames: ['b'],
      },
      nextToken: 'token-1',
    });

    // Assess
    expect(page.steps.map((s) => s.stepExecutionId)).toEqual(['s-2']);
    expect(page.nextToken).toBe('next');
    expect(ssm).toHaveReceivedCommandWith(DescribeAutomationStepExecutionsCommand, {
      AutomationExecutionId: 'e-1',
      MaxResults: 50,
      Filters: [
        { Key: 'StartTimeAfter', Values: ['2026-11-25T12:00:00Z'] },
        { Key: 'StartTimeBefore', Values: ['2026-11-25T12:05:00Z'] },
        { Key: 'StepExecutionId', Values: ['s-1', 's-2'] },
        { Key: 'StepName', Values: ['b'] },
      ],
      NextToken: 'token-1',
    });
    expect(ssm.commandCalls(DescribeAutomationStepExecutionsCommand)[0]?.args[0].input.ReverseOrder).toBe(
      undefined,
    );
  });

  it('sends no filter for an empty query', async () => {
    ssm.on(DescribeAutomationStepExecutionsCommand).resolves({ StepExecutions: [] });

    await new SsmExecutionSource({ client }).readStepPage({ executionId: 'e-1', query: {}, nextToken: null });

    expect(ssm.commandCalls(DescribeAutomationStepExecutionsCommand)[0]?.args[0].input).toEqual({
      AutomationExecutionId: 'e-1',
      MaxResults: 50,
      NextToken: undefined,
    });
  });

  it('names a step listed without an id, not started yet, by its name', async () => {
    ssm.on(DescribeAutomationStepExecutionsCommand).resolves({
      StepExecutions: [{ StepName: 'later', StepStatus: 'Pending' }],
    });

    const page = await new SsmExecutionSource({ client }).readStepPage({
      executionId: 'e-1',
      query: {},
      nextToken: null,
    });

    expect(page.steps.map((s) => [s.stepExecutionId, s.status, s.startTime])).toEqual([
      ['planned:later', 'Pending', null],
    ]);
  });

  it('throws ExecutionNotFoundError when SSM does not know the execution', async () => {
    ssm
      .on(DescribeAutomationStepExecutionsCommand)
      .rejects(new AutomationExecutionNotFoundException({ message: 'gone', $metadata: {} }));

    const read = new SsmExecutionSource({ client }).readStepPage({
      executionId: 'e-1',
      query: {},
      nextToken: null,
    });

    await expect(read).rejects.toThrow(ExecutionNotFoundError);
    await expect(read).rejects.toMatchObject({ executionId: 'e-1' });
  });

  it('gives a null next token on the last page of steps', async () => {
    ssm.on(DescribeAutomationStepExecutionsCommand).resolves({ StepExecutions: [] });

    const page = await new SsmExecutionSource({ client }).readStepPage({
      executionId: 'e-1',
      query: {},
      nextToken: null,
    });

    expect(page).toEqual({ steps: [], nextToken: null });
    expect(ssm).toHaveReceivedCommandWith(DescribeAutomationStepExecutionsCommand, { NextToken: undefined });
  });

  it('skips executions without id or status and reports them', async () => {
    // Prepare
    ssm.on(DescribeAutomationExecutionsCommand).resolves({
      AutomationExecutionMetadataList: [
        execution('e-1'),
        { AutomationExecutionStatus: 'InProgress' },
        { AutomationExecutionId: 'e-3' },
      ],
    });
    const source = new SsmExecutionSource({ client });

    // Act
    const views = await source.listInFlight();

    // Assess
    expect(views.map((v) => v.executionId)).toEqual(['e-1']);
    expect(await source.takeUnreadable()).toEqual([
      {
        operation: 'DescribeAutomationExecutions',
        reason: 'execution without AutomationExecutionId',
        executionId: null,
        fingerprint: 'DescribeAutomationExecutions||execution without AutomationExecutionId',
      },
      {
        operation: 'DescribeAutomationExecutions',
        reason: 'execution e-3 without status',
        executionId: 'e-3',
        fingerprint: 'DescribeAutomationExecutions|e-3|execution e-3 without status',
      },
    ]);
    expect(await source.takeUnreadable()).toEqual([]);
  });

  it('skips steps without id or status and reports them', async () => {
    // Prepare
    ssm.on(DescribeAutomationStepExecutionsCommand).resolves({
      StepExecutions: [
        { StepName: 'nameless', StepStatus: 'Success' },
        { StepExecutionId: 's-2' },
        { StepExecutionId: 's-3', StepStatus: 'Success' },
      ],
    });
    const source = new SsmExecutionSource({ client });

    // Act
    const page = await source.readStepPage({ executionId: 'e-1', query: {}, nextToken: null });

    // Assess
    expect(page.steps.map((s) => s.stepExecutionId)).toEqual(['s-3']);
    expect((await source.takeUnreadable()).map((r) => [r.reason, r.executionId])).toEqual([
      ['step nameless without StepExecutionId', 'e-1'],
      ['step s-2 without status', 'e-1'],
    ]);
  });

  it('wraps an SDK error in a ServiceError with the error as cause', async () => {
    // Prepare
    const throttled = new Error('Rate exceeded');
    throttled.name = 'ThrottlingException';
    ssm.on(DescribeAutomationExecutionsCommand).rejects(throttled);

    // Act
    const error = await new SsmExecutionSource({ client }).listInFlight().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({
      message: 'SSM DescribeAutomationExecutions failed: ThrottlingException: Rate exceeded',
      cause: throttled,
    });
  });

  it('wraps a failed step read in a ServiceError', async () => {
    ssm.on(DescribeAutomationStepExecutionsCommand).rejects(new Error('AccessDenied'));

    const read = new SsmExecutionSource({ client }).readStepPage({
      executionId: 'e-1',
      query: {},
      nextToken: null,
    });

    await expect(read).rejects.toThrow(ServiceError);
    await expect(read).rejects.toThrow(/DescribeAutomationStepExecutions failed/);
  });
});

describe('Function: toExecutionView', () => {
  it('maps every field, times to ISO 8601 UTC', () => {
    const view = toExecutionView({
      AutomationExecutionId: 'e-1',
      AutomationExecutionStatus: 'Failed',
      DocumentName: 'AWS-RestartEC2Instance',
      DocumentVersion: '3',
      ParentAutomationExecutionId: 'parent-1',
      ExecutionStartTime: new Date('2026-01-01T10:00:00.000Z'),
      ExecutionEndTime: new Date('2026-01-01T10:05:30.250Z'),
      FailureMessage: 'Step failed',
      TriggeredAlarms: [{ Name: 'HighCPU', State: 'ALARM' }],
      Mode: 'Auto',
      Targets: [],
      ResolvedTargets: { ParameterValues: [], Truncated: false },
      AutomationType: 'Local',
    });

    expect(view).toEqual({
      executionId: 'e-1',
      documentName: 'AWS-RestartEC2Instance',
      documentVersion: '3',
      status: 'Failed',
      parentExecutionId: 'parent-1',
      startTime: '2026-01-01T10:00:00.000Z',
      endTime: '2026-01-01T10:05:30.250Z',
      failureMessage: 'Step failed',
      triggeredAlarms: [{ name: 'HighCPU', state: 'ALARM' }],
      addsSteps: false,
    });
  });

  it.each([
    ['rate control by parameter', { TargetParameterName: 'InstanceId' }],
    ['rate control by tags', { Targets: [{ Key: 'tag:Env', Values: ['prod'] }] }],
    ['rate control by target maps', { TargetMaps: [{ InstanceId: ['i-1'] }] }],
    ['resolved targets', { ResolvedTargets: { ParameterValues: ['i-1'], Truncated: false } }],
    ['a concurrency limit', { MaxConcurrency: '10' }],
    ['a multi-account run', { AutomationType: 'CrossAccount' as const }],
    ['target locations', { TargetLocationsURL: 'https://example.com/locations' }],
    ['a change request', { AutomationSubtype: 'ChangeRequest' as const }],
    ['change request runbooks', { Runbooks: [{ DocumentName: 'AWS-RestartEC2Instance' }] }],
    ['an interactive run', { Mode: 'Interactive' as const }],
  ])('says SSM may add steps to an execution with %s', (_what, fields) => {
    const view = toExecutionView({
      AutomationExecutionId: 'e-1',
      AutomationExecutionStatus: 'InProgress',
      ...fields,
    });

    expect(view.addsSteps).toBe(true);
  });

  it('fills missing optional fields with null or empty values', () => {
    expect(toExecutionView({ AutomationExecutionId: 'e-1', AutomationExecutionStatus: 'Exited' })).toEqual({
      executionId: 'e-1',
      documentName: '',
      documentVersion: null,
      status: 'Exited',
      parentExecutionId: null,
      startTime: null,
      endTime: null,
      failureMessage: null,
      triggeredAlarms: [],
      addsSteps: false,
    });
  });

  it('throws a MalformedRecordError saying why a record cannot be used', () => {
    expect(() => toExecutionView({ AutomationExecutionStatus: 'InProgress' })).toThrowError(
      new MalformedRecordError('execution without AutomationExecutionId'),
    );
    expect(() => toExecutionView({ AutomationExecutionId: 'e-1' })).toThrowError(
      new MalformedRecordError('execution e-1 without status'),
    );
  });
});

describe('Function: toStepView', () => {
  it('maps every field, times to ISO 8601 UTC', () => {
    // Prepare
    const raw: StepExecution = {
      StepExecutionId: 's-1',
      StepName: 'stopInstance',
      Action: 'aws:changeInstanceState',
      StepStatus: 'Failed',
      ExecutionStartTime: new Date('2026-01-01T10:00:01.000Z'),
      ExecutionEndTime: new Date('2026-01-01T10:00:02.500Z'),
      OnFailure: 'Abort',
      MaxAttempts: 2,
      IsCritical: true,
      FailureMessage: 'Instance not found',
      FailureDetails: { FailureStage: 'Invocation', FailureType: 'Action', Details: { ErrorCode: ['404'] } },
      Response: 'no such instance',
      ResponseCode: '404',
      Inputs: { InstanceIds: '["i-1"]' },
      Outputs: { 'stopInstance.CurrentState': ['stopped'] },
      TargetLocation: {
        Accounts: ['111111111111'],
        Regions: ['eu-west-1'],
        ExecutionRoleName: 'Role',
        TargetLocationMaxConcurrency: '2',
        TargetLocationMaxErrors: '1',
      },
      TriggeredAlarms: [{ Name: 'HighCPU', State: 'ALARM' }],
      ParentStepDetails: {
        StepExecutionId: 'loop-1',
        StepName: 'stopAll',
        Action: 'aws:loop',
        Iteration: 2,
        IteratorValue: 'i-2',
      },
    };

    // Act & Assess
    expect(toStepView(raw)).toEqual({
      stepExecutionId: 's-1',
      stepName: 'stopInstance',
      action: 'aws:changeInstanceState',
      status: 'Failed',
      startTime: '2026-01-01T10:00:01.000Z',
      endTime: '2026-01-01T10:00:02.500Z',
      onFailure: 'Abort',
      maxAttempts: 2,
      isCritical: true,
      failureMessage: 'Instance not found',
      failureDetails: { FailureStage: 'Invocation', FailureType: 'Action', Details: { ErrorCode: ['404'] } },
      response: 'no such instance',
      responseCode: '404',
      inputs: { InstanceIds: '["i-1"]' },
      outputs: { 'stopInstance.CurrentState': ['stopped'] },
      targetLocation: {
        accounts: ['111111111111'],
        regions: ['eu-west-1'],
        executionRoleName: 'Role',
        targetLocationMaxConcurrency: '2',
        targetLocationMaxErrors: '1',
      },
      triggeredAlarms: [{ name: 'HighCPU', state: 'ALARM' }],
      parentStep: {
        stepExecutionId: 'loop-1',
        stepName: 'stopAll',
        action: 'aws:loop',
        iteration: 2,
        iteratorValue: 'i-2',
      },
    });
  });

  it('fills missing optional fields with null, an invalid date too', () => {
    expect(
      toStepView({
        StepExecutionId: 's-1',
        StepStatus: 'Pending',
        ExecutionStartTime: new Date('not a date'),
      }),
    ).toEqual({
      stepExecutionId: 's-1',
      stepName: '',
      action: null,
      status: 'Pending',
      startTime: null,
      endTime: null,
      onFailure: null,
      maxAttempts: null,
      isCritical: null,
      failureMessage: null,
      failureDetails: null,
      response: null,
      responseCode: null,
      inputs: null,
      outputs: null,
      targetLocation: null,
      triggeredAlarms: [],
      parentStep: null,
    });
  });

  it('keeps a step whose ParentStepDetails has fields of the wrong shape, each such field null', () => {
    // Prepare: what a payload outside the model would give once deserialised.
    const ParentStepDetails = {
      StepExecutionId: 42,
      StepName: 'stopAll',
      Action: null,
      Iteration: '3',
      IteratorValue: { Key: 'i-3' },
    } as unknown as StepExecution['ParentStepDetails'];

    // Act
    const view = toStepView({ StepExecutionId: 's-1', StepStatus: 'Success', ParentStepDetails });

    // Assess
    expect(view.stepExecutionId).toBe('s-1');
    expect(view.parentStep).toEqual({
      stepExecutionId: null,
      stepName: 'stopAll',
      action: null,
      iteration: null,
      iteratorValue: null,
    });
  });

  it.each([
    ['a fraction', 1.5],
    ['not a number', Number.NaN],
    ['beyond a safe integer', 2 ** 60],
  ])('reads an Iteration that is %s as null', (_case, Iteration) => {
    const view = toStepView({
      StepExecutionId: 's-1',
      StepStatus: 'Success',
      ParentStepDetails: { StepName: 'stopAll', Iteration },
    });

    expect(view.parentStep?.iteration).toBeNull();
    expect(view.parentStep?.stepName).toBe('stopAll');
  });

  it('keeps an empty ParentStepDetails as a parent with every field null, and iteration 0 as 0', () => {
    expect(
      toStepView({ StepExecutionId: 's-1', StepStatus: 'Success', ParentStepDetails: {} }).parentStep,
    ).toEqual({
      stepExecutionId: null,
      stepName: null,
      action: null,
      iteration: null,
      iteratorValue: null,
    });
    expect(
      toStepView({ StepExecutionId: 's-1', StepStatus: 'Success', ParentStepDetails: { Iteration: 0 } })
        .parentStep?.iteration,
    ).toBe(0);
  });

  it('keeps alarms with a name, UNKNOWN when their state is missing', () => {
    const view = toStepView({
      StepExecutionId: 's-1',
      StepStatus: 'InProgress',
      TriggeredAlarms: [
        { Name: 'NoState', State: undefined },
        { Name: undefined, State: 'ALARM' },
      ],
    });

    expect(typeof view === 'string' ? view : view.triggeredAlarms).toEqual([
      { name: 'NoState', state: 'UNKNOWN' },
    ]);
  });

  it('throws a MalformedRecordError saying why a record cannot be used', () => {
    expect(() => toStepView({ StepName: 'nameless', StepStatus: 'Success' })).toThrowError(
      new MalformedRecordError('step nameless without StepExecutionId'),
    );
    expect(() => toStepView({ StepExecutionId: 's-2' })).toThrowError(
      new MalformedRecordError('step s-2 without status'),
    );
  });
});
