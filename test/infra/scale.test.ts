// A thousand explicit shards synthesize within CloudFormation's, IAM's, Lambda's and EventBridge's deploy-time limits.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARDS_FILE_NAME, type StepWatchShard } from '../../lib/step-watch';
import { createInfraFixture, type InfraFixture } from './fixture';

/** 500 accounts x 2 regions, each account read through its own role. */
const ACCOUNTS = Array.from({ length: 500 }, (_, i) => String(200_000_000_000 + i * 7919));
const SHARDS: StepWatchShard[] = ACCOUNTS.flatMap((account) =>
  ['eu-west-1', 'us-east-1'].map((region) => ({
    account,
    region,
    roleArn: `arn:aws:iam::${account}:role/StepWatchReader`,
  })),
);

/** CloudFormation's resources per stack; IAM's inline policy characters per role and per managed policy; Lambda's environment bytes; EventBridge's bus policy characters. */
const LIMITS = {
  resources: 500,
  inlinePerRole: 10_240,
  managedPolicy: 6_144,
  environment: 4_096,
  busPolicy: 10_240,
};

/**
 * The characters a policy document takes once deployed, as IAM counts them (no whitespace): every
 * intrinsic replaced by what it can resolve to at most (a Ref or GetAtt by a 200-character ARN).
 */
function deployedLength(value: unknown): number {
  const widest = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(widest);
    if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node);
      const [key, argument] = entries[0] ?? [];
      if (entries.length === 1 && key === 'Ref' && argument === 'AWS::Partition') return 'aws-us-gov';
      if (entries.length === 1 && key === 'Ref' && argument === 'AWS::AccountId') return '123456789012';
      if (entries.length === 1 && key === 'Ref' && argument === 'AWS::Region') return 'ap-southeast-5';
      if (entries.length === 1 && (key === 'Ref' || key === 'Fn::GetAtt')) return 'x'.repeat(200);
      if (entries.length === 1 && key === 'Fn::Join') {
        const [separator, parts] = argument as [string, unknown[]];
        return parts.map((part) => widest(part) as string).join(separator);
      }
      return Object.fromEntries(entries.map(([k, v]) => [k, widest(v)]));
    }
    return node;
  };
  return JSON.stringify(widest(value)).length;
}

let fixture: InfraFixture<'thousand'>;

beforeAll(() => {
  fixture = createInfraFixture({
    thousand: { env: { account: '123456789012', region: 'eu-west-1' }, shards: SHARDS },
  });
});

afterAll(() => fixture.cleanup());

describe('Class: StepWatch (1,000 explicit shards)', () => {
  it('stays far below 500 resources', () => {
    const resources = Object.keys(fixture.templates.thousand.toJSON().Resources);
    expect(resources.length).toBeLessThan(LIMITS.resources);
    expect(resources.length).toBeLessThan(60);
  });

  it('has one schedule and reserves no concurrency', () => {
    fixture.templates.thousand.resourceCountIs('AWS::Scheduler::Schedule', 1);
    fixture.templates.thousand.allResourcesProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
    fixture.templates.thousand.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });

  it("keeps every role's inline policies and every managed policy within IAM's size limits", () => {
    // Prepare
    const template = fixture.templates.thousand.toJSON();
    const inlineByRole = new Map<string, number>();
    const managed: number[] = [];
    // biome-ignore lint/suspicious/noExplicitAny: a parsed CloudFormation template has no static shape.
    for (const [id, resource] of Object.entries<Record<string, any>>(template.Resources)) {
      if (resource.Type === 'AWS::IAM::Policy') {
        for (const role of resource.Properties.Roles as Array<{ Ref: string }>) {
          inlineByRole.set(
            role.Ref,
            (inlineByRole.get(role.Ref) ?? 0) + deployedLength(resource.Properties.PolicyDocument),
          );
        }
      }
      if (resource.Type === 'AWS::IAM::Role') {
        for (const policy of resource.Properties.Policies ?? []) {
          inlineByRole.set(id, (inlineByRole.get(id) ?? 0) + deployedLength(policy.PolicyDocument));
        }
      }
      if (resource.Type === 'AWS::IAM::ManagedPolicy')
        managed.push(deployedLength(resource.Properties.PolicyDocument));
    }

    // Assess
    expect(inlineByRole.size).toBeGreaterThanOrEqual(4);
    for (const [role, length] of inlineByRole) expect(length, role).toBeLessThanOrEqual(LIMITS.inlinePerRole);
    for (const length of managed) expect(length).toBeLessThanOrEqual(LIMITS.managedPolicy);
  });

  it("grants sts:AssumeRole on one pattern for the role name rather than a thousand ARNs, on condition of the shards' accounts", () => {
    const { stepWatch } = fixture.stacks.thousand;
    fixture.templates.thousand.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [fixture.stacks.thousand.resolve(stepWatch.function.role?.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectEquals({
            Sid: 'AssumeShardRoles',
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Resource: 'arn:aws:iam::*:role/StepWatchReader',
            Condition: { StringEquals: { 'aws:ResourceAccount': ACCOUNTS } },
          }),
        ]),
      },
    });
  });

  it("keeps every function's environment within Lambda's 4 KB, the shard list in a file of the bundle", () => {
    // Prepare
    const functions = fixture.templates.thousand.findResources('AWS::Lambda::Function');

    // Assess
    for (const [id, fn] of Object.entries(functions)) {
      const variables: Record<string, string> = fn.Properties.Environment?.Variables ?? {};
      const bytes = Object.entries(variables).reduce(
        (sum, [key, value]) => sum + key.length + (typeof value === 'string' ? value.length : 200),
        0,
      );
      expect(bytes, id).toBeLessThanOrEqual(LIMITS.environment);
    }
    for (const handler of ['index.dispatcher', 'index.hintHandler', 'index.handler']) {
      const [fn] = Object.values(
        fixture.templates.thousand.findResources('AWS::Lambda::Function', {
          Properties: { Handler: handler },
        }),
      );
      expect(fn?.Properties.Environment.Variables.SHARDS_FILE).toBe(SHARDS_FILE_NAME);
      const file = join(fixture.functionAssetDir('thousand', handler), SHARDS_FILE_NAME);
      expect(existsSync(file), file).toBe(true);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(SHARDS);
    }
  });

  it("keeps the hint bus policy within EventBridge's 10,240 characters, the accounts in one condition", () => {
    const [bus] = Object.values(
      fixture.templates.thousand.findResources('AWS::Events::EventBus', {
        Properties: { Name: 'ssm-step-watch-hints' },
      }),
    );
    const policy = bus?.Properties.Policy;
    const admit = policy.Statement.find((statement: { Effect: string }) => statement.Effect === 'Allow');
    expect(admit.Principal).toEqual({ AWS: '*' });
    expect(admit.Condition.StringEquals['aws:PrincipalAccount']).toEqual(ACCOUNTS);
    expect(deployedLength(policy)).toBeLessThanOrEqual(LIMITS.busPolicy);
  });

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(fixture.stacks.thousand);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});
