// Tests of the hint parser and coalescer: SSM's documented event shapes, every malformed shape, bursts.
import { describe, expect, it } from 'vitest';
import {
  coalesceHints,
  type Hint,
  hintShardKey,
  NATIVE_DETAIL_TYPES,
  parseHint,
} from '../../lambda/core/hints';

const EXECUTION_ID = '333ba70b-2333-48db-b17e-a5e69c6f4d1c';

/** SSM's documented step event (Systems Manager user guide, EventBridge event examples). */
function stepEvent(): Record<string, unknown> {
  return {
    version: '0',
    id: 'eeca120b-a321-433e-9635-dab369006a6b',
    'detail-type': 'EC2 Automation Step Status-change Notification',
    source: 'aws.ssm',
    account: '123456789012',
    time: '2024-11-29T19:43:35Z',
    region: 'us-east-1',
    resources: [
      `arn:aws:ssm:us-east-1:123456789012:automation-execution/${EXECUTION_ID}`,
      'arn:aws:ssm:us-east-1:123456789012:automation-definition/runcommand1:1',
    ],
    detail: {
      ExecutionId: EXECUTION_ID,
      Definition: 'runcommand1',
      DefinitionVersion: 1.0,
      Status: 'Success',
      EndTime: 'Nov 29, 2024 7:43:25 PM',
      StartTime: 'Nov 29, 2024 7:43:23 PM',
      Time: 2630.0,
      StepName: 'runFixedCmds',
      Action: 'aws:runCommand',
    },
  };
}

/** SSM's documented execution event. */
function executionEvent(): Record<string, unknown> {
  return {
    ...stepEvent(),
    id: 'd290ece9-1088-4383-9df6-cd5b4ac42b99',
    'detail-type': 'EC2 Automation Execution Status-change Notification',
    region: 'us-east-2',
    detail: {
      ExecutionId: EXECUTION_ID,
      Definition: 'runcommand1',
      DefinitionVersion: 1.0,
      Status: 'Success',
      StartTime: 'Nov 29, 2024 7:43:20 PM',
      EndTime: 'Nov 29, 2024 7:43:26 PM',
      Time: 5753.0,
      ExecutedBy: 'arn:aws:iam::123456789012:user/userName',
    },
  };
}

function body(event: unknown): string {
  return JSON.stringify(event);
}

function withDetail(detail: unknown): Record<string, unknown> {
  return { ...stepEvent(), detail };
}

describe('Constant: NATIVE_DETAIL_TYPES', () => {
  it('names the two Automation detail types SSM sends', () => {
    expect(Object.values(NATIVE_DETAIL_TYPES)).toEqual([
      'EC2 Automation Step Status-change Notification',
      'EC2 Automation Execution Status-change Notification',
    ]);
  });
});

describe('Function: parseHint', () => {
  it('reads the account, region and execution of a step event', () => {
    expect(parseHint(body(stepEvent()))).toEqual({
      account: '123456789012',
      region: 'us-east-1',
      executionId: EXECUTION_ID,
    });
  });

  it('reads the account, region and execution of an execution event', () => {
    expect(parseHint(body(executionEvent()))).toEqual({
      account: '123456789012',
      region: 'us-east-2',
      executionId: EXECUTION_ID,
    });
  });

  it('takes the region of the event, not of the ARNs in resources', () => {
    // SSM's own documented example carries us-east-1 as its region and us-east-2 in its ARNs.
    const event = {
      ...stepEvent(),
      resources: [`arn:aws:ssm:us-east-2:123456789012:automation-execution/x`],
    };
    expect(parseHint(body(event))?.region).toBe('us-east-1');
  });

  it('reads a forwarded event from another account and region as that account and region', () => {
    const event = { ...stepEvent(), account: '111122223333', region: 'ap-southeast-2' };
    expect(parseHint(body(event))).toEqual({
      account: '111122223333',
      region: 'ap-southeast-2',
      executionId: EXECUTION_ID,
    });
  });

  it('accepts GovCloud and China region names', () => {
    expect(parseHint(body({ ...stepEvent(), region: 'us-gov-west-1' }))?.region).toBe('us-gov-west-1');
    expect(parseHint(body({ ...stepEvent(), region: 'cn-northwest-1' }))?.region).toBe('cn-northwest-1');
  });

  it('ignores fields it does not need, whatever their shape', () => {
    const event = withDetail({ ExecutionId: EXECUTION_ID, Status: 42, StartTime: null, StepName: ['x'] });
    expect(parseHint(body(event))?.executionId).toBe(EXECUTION_ID);
  });

  it.each([
    ['empty', ''],
    ['not JSON', '{"source": "aws.ssm"'],
    ['plain text', 'hello'],
    ['JSON null', 'null'],
    ['a JSON number', '42'],
    ['a JSON string', '"aws.ssm"'],
    ['a JSON array', body([stepEvent()])],
  ])('returns null for a body that is %s', (_, raw) => {
    expect(parseHint(raw)).toBeNull();
  });

  it.each([
    ['source aws.ec2', { source: 'aws.ec2' }],
    ['source ssm-step-watch (our own events)', { source: 'ssm-step-watch' }],
    ['no source', { source: undefined }],
    ['detail type of a Run Command', { 'detail-type': 'EC2 Command Status-change Notification' }],
    ['detail type of our own step events', { 'detail-type': 'Automation Step Status Change' }],
    ['detail type in other case', { 'detail-type': 'ec2 automation step status-change notification' }],
    ['no detail type', { 'detail-type': undefined }],
    ['a numeric detail type', { 'detail-type': 7 }],
  ])('returns null for an event with %s', (_, change) => {
    expect(parseHint(body({ ...stepEvent(), ...change }))).toBeNull();
  });

  it.each([
    ['no account', { account: undefined }],
    ['an 11-digit account', { account: '12345678901' }],
    ['a numeric account', { account: 123456789012 }],
    ['an account with letters', { account: '12345678901a' }],
    ['no region', { region: undefined }],
    ['an empty region', { region: '' }],
    ['a region with upper case', { region: 'US-EAST-1' }],
    ['a region without a number', { region: 'us-east' }],
    ['a region with spaces', { region: 'us east 1' }],
  ])('returns null for an event with %s', (_, change) => {
    expect(parseHint(body({ ...stepEvent(), ...change }))).toBeNull();
  });

  it.each([
    ['no detail', undefined],
    ['a null detail', null],
    ['a string detail', JSON.stringify({ ExecutionId: EXECUTION_ID })],
    ['an array detail', [{ ExecutionId: EXECUTION_ID }]],
    ['a detail without ExecutionId', { Definition: 'runcommand1', Status: 'Success' }],
    ['a numeric ExecutionId', { ExecutionId: 333 }],
    ['an ExecutionId of 35 characters', { ExecutionId: EXECUTION_ID.slice(1) }],
    ['an ExecutionId of 37 characters', { ExecutionId: `${EXECUTION_ID}0` }],
    ['an ExecutionId with a slash', { ExecutionId: `${EXECUTION_ID.slice(0, 35)}/` }],
    ['an ExecutionId in lower-case key', { executionId: EXECUTION_ID }],
    ['an execution ARN instead of an id', { ExecutionId: `arn:aws:ssm:us-east-1:1:automation-execution/x` }],
  ])('returns null for an event with %s', (_, detail) => {
    expect(parseHint(body(withDetail(detail)))).toBeNull();
  });
});

describe('Function: coalesceHints', () => {
  const hint = (account: string, region: string, n: number): Hint => ({
    account,
    region,
    executionId: `eeeeeeee-0000-4000-8000-${String(n).padStart(12, '0')}`,
  });

  it('returns an empty map for no hints', () => {
    expect(coalesceHints([])).toEqual(new Map());
  });

  it('keeps one id per execution, in the order first hinted', () => {
    const a = hint('123456789012', 'us-east-1', 1);
    const b = hint('123456789012', 'us-east-1', 2);
    expect(coalesceHints([b, a, b, b, a])).toEqual(
      new Map([['123456789012#us-east-1', [b.executionId, a.executionId]]]),
    );
  });

  it('groups by account and region', () => {
    const own = hint('123456789012', 'us-east-1', 1);
    const otherRegion = hint('123456789012', 'eu-west-1', 1);
    const otherAccount = hint('111122223333', 'us-east-1', 2);
    const result = coalesceHints([own, otherRegion, otherAccount, own]);
    expect([...result]).toEqual([
      ['123456789012#us-east-1', [own.executionId]],
      ['123456789012#eu-west-1', [otherRegion.executionId]],
      ['111122223333#us-east-1', [otherAccount.executionId]],
    ]);
  });

  it('coalesces a burst of a hundred events about three executions into three ids', () => {
    const hints = Array.from({ length: 100 }, (_, i) => hint('123456789012', 'us-east-1', i % 3));
    expect(coalesceHints(hints).get('123456789012#us-east-1')).toHaveLength(3);
  });
});

describe('Function: hintShardKey', () => {
  it('keys a shard as the poller does, account#region', () => {
    expect(hintShardKey({ account: '123456789012', region: 'eu-west-1' })).toBe('123456789012#eu-west-1');
  });
});
