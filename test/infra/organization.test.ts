// Template assertions on organization mode: the fan-out, the dispatcher's and poller's IAM, the member StackSets, the root lookup, and the context path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATIVE_DETAIL_TYPES } from '../../lambda/core/hints';
import { type ContextKey, stepWatchPropsFromContext } from '../../lib/context';
import { StepWatchHintForwarder } from '../../lib/hint-forwarder';
import { StepWatchCallAs } from '../../lib/props';
import { StepWatch } from '../../lib/step-watch';
import { StepWatchStack } from '../../lib/step-watch-stack';
import { createInfraFixture, type InfraFixture } from './fixture';

type StackKey = 'organization' | 'scoped';

let fixture: InfraFixture<StackKey>;

beforeAll(() => {
  fixture = createInfraFixture({
    organization: {
      env: { account: '123456789012', region: 'eu-west-1' },
      organization: { regions: ['eu-west-1', 'us-east-1'] },
    },
    scoped: {
      env: { account: '123456789012', region: 'eu-west-1' },
      organization: {
        regions: ['eu-west-1'],
        organizationalUnits: ['ou-ab12-cdef3456'],
        accounts: ['111122223333', '444455556666'],
        excludeAccounts: ['444455556666'],
        memberRoleName: 'team-ssm-reader',
        callAs: StepWatchCallAs.DELEGATED_ADMIN,
      },
      maxConcurrency: 50,
      hints: false,
    },
  });
});

afterAll(() => fixture.cleanup());

function resolve(key: StackKey, value: unknown): unknown {
  return fixture.stacks[key].resolve(value);
}

// biome-ignore lint/suspicious/noExplicitAny: a parsed CloudFormation template has no static shape.
function stackSetTemplate(key: StackKey, idPart: string): Record<string, any> {
  const [stackSet] = Object.entries(fixture.templates[key].findResources('AWS::CloudFormation::StackSet'))
    .filter(([id]) => id.includes(idPart))
    .map(([, resource]) => resource);
  return JSON.parse(stackSet?.Properties.TemplateBody as string);
}

const ROOT_ID = { 'Fn::GetAtt': [Match.stringLikeRegexp('^StepWatchOrganizationRoot'), 'Roots.0.Id'] };

describe('Class: StepWatch (organization)', () => {
  describe('fan-out', () => {
    it('has one schedule, invoking the dispatcher', () => {
      const { fanOut } = fixture.stacks.organization.stepWatch;
      fixture.templates.organization.resourceCountIs('AWS::Scheduler::Schedule', 1);
      fixture.templates.organization.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        Target: { Arn: resolve('organization', fanOut?.dispatcher.functionArn), Input: '{}' },
      });
    });

    it('gives the dispatcher the scope, the queue, the cache time and the period', () => {
      const { stepWatch } = fixture.stacks.organization;
      fixture.templates.organization.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.dispatcher',
        Timeout: 55,
        Environment: {
          Variables: Match.objectLike({
            TABLE_NAME: resolve('organization', stepWatch.table.tableName),
            WORK_QUEUE_URL: resolve('organization', stepWatch.fanOut?.queue.queueUrl),
            ORGANIZATION: JSON.stringify({
              regions: ['eu-west-1', 'us-east-1'],
              memberRoleName: 'ssm-step-watch-reader',
            }),
            MEMBER_ROLE_NAME: Match.absent(),
            ACCOUNT_CACHE_SECONDS: '300',
            POLL_PERIOD_SECONDS: '60',
            POWERTOOLS_SERVICE_NAME: 'ssm-step-watch',
          }),
        },
      });
    });

    it('keeps the whole scope in ORGANIZATION', () => {
      fixture.templates.scoped.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.dispatcher',
        Environment: {
          Variables: Match.objectLike({
            ORGANIZATION: JSON.stringify({
              regions: ['eu-west-1'],
              organizationalUnits: ['ou-ab12-cdef3456'],
              accounts: ['111122223333', '444455556666'],
              excludeAccounts: ['444455556666'],
              memberRoleName: 'team-ssm-reader',
            }),
          }),
        },
      });
    });

    it('queues work on an encrypted queue with six times the poll timeout, short retention and its own dead-letter queue', () => {
      const { fanOut } = fixture.stacks.organization.stepWatch;
      fixture.templates.organization.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 6 * 55,
        MessageRetentionPeriod: 3600,
        RedrivePolicy: {
          deadLetterTargetArn: resolve('organization', fanOut?.deadLetterQueue.queueArn),
          maxReceiveCount: 5,
        },
      });
      fixture.templates.organization.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [resolve('organization', fanOut?.queue.queueUrl)],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      });
    });

    it('feeds the poll function one item at a time, at most maxConcurrency at once, reporting failed items', () => {
      for (const [key, concurrency] of [
        ['organization', 20],
        ['scoped', 50],
      ] as const) {
        const { stepWatch } = fixture.stacks[key];
        fixture.templates[key].hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          FunctionName: resolve(key, stepWatch.function.functionName),
          EventSourceArn: resolve(key, stepWatch.fanOut?.queue.queueArn),
          BatchSize: 1,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: concurrency },
        });
      }
    });

    it('reserves no concurrency for any function', () => {
      for (const key of ['organization', 'scoped'] as const) {
        fixture.templates[key].allResourcesProperties('AWS::Lambda::Function', {
          ReservedConcurrentExecutions: Match.absent(),
        });
      }
    });

    it("outputs the work dead-letter queue's URL", () => {
      fixture.templates.organization.hasOutput('WorkDeadLetterQueueUrl', {
        Value: resolve(
          'organization',
          fixture.stacks.organization.stepWatch.fanOut?.deadLetterQueue.queueUrl,
        ),
      });
    });

    it('tells the poll function the member role name and the period', () => {
      fixture.templates.organization.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Environment: {
          Variables: Match.objectLike({
            MEMBER_ROLE_NAME: 'ssm-step-watch-reader',
            POLL_PERIOD_SECONDS: '60',
          }),
        },
      });
    });
  });

  describe('IAM', () => {
    it('lets the dispatcher list accounts, queue work items and read and write the table', () => {
      const { stepWatch } = fixture.stacks.organization;
      const role = stepWatch.fanOut?.dispatcher.role;
      fixture.templates.organization.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [resolve('organization', role?.roleName)],
        PolicyDocument: {
          Statement: Match.arrayEquals([
            Match.objectEquals({
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Resource: resolve('organization', stepWatch.deadLetterQueue.queueArn),
            }),
            Match.objectEquals({
              Sid: 'WriteOwnLogs',
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: resolve('organization', stepWatch.fanOut?.dispatcherLogGroup.logGroupArn),
            }),
            Match.objectEquals({
              Sid: 'SendWorkItems',
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Resource: resolve('organization', stepWatch.fanOut?.queue.queueArn),
            }),
            Match.objectEquals({
              Sid: 'ReadWriteShardState',
              Effect: 'Allow',
              Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
              Resource: resolve('organization', stepWatch.table.tableArn),
            }),
            Match.objectEquals({
              Sid: 'ListOrganizationAccounts',
              Effect: 'Allow',
              Action: [
                'organizations:ListAccounts',
                'organizations:ListAccountsForParent',
                'organizations:ListOrganizationalUnitsForParent',
                'organizations:DescribeOrganization',
              ],
              Resource: '*',
            }),
          ]),
        },
      });
    });

    it("lets both pollers assume the member role in any account of the poller's organization", () => {
      const { stepWatch } = fixture.stacks.organization;
      for (const fn of [stepWatch.function, stepWatch.hints?.function]) {
        fixture.templates.organization.hasResourceProperties('AWS::IAM::Policy', {
          Roles: [resolve('organization', fn?.role?.roleName)],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectEquals({
                Sid: 'AssumeShardRoles',
                Effect: 'Allow',
                Action: 'sts:AssumeRole',
                Resource: {
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/ssm-step-watch-reader']],
                },
                // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation and IAM substitution syntax.
                Condition: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } },
              }),
            ]),
          },
        });
      }
    });
  });

  describe('member StackSets', () => {
    it('deploys the reader role to every account under the root, in the stack region only, service-managed', () => {
      const { stepWatch } = fixture.stacks.organization;
      fixture.templates.organization.hasResourceProperties('AWS::CloudFormation::StackSet', {
        StackSetName: Match.stringLikeRegexp('ReaderRoles$'),
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        CallAs: 'SELF',
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: [
          {
            ParameterKey: 'PollerRoleArns',
            ParameterValue: {
              'Fn::Join': [
                ',',
                [
                  resolve('organization', stepWatch.function.role?.roleArn),
                  resolve('organization', stepWatch.hints?.function.role?.roleArn),
                ],
              ],
            },
          },
        ],
        StackInstancesGroup: [
          { DeploymentTargets: { OrganizationalUnitIds: [ROOT_ID] }, Regions: ['eu-west-1'] },
        ],
      });
    });

    it("creates a read-only role of the member role name trusting the pollers' roles", () => {
      const role = stackSetTemplate('organization', 'ReaderRoles').Resources.ReaderRole;
      expect(role.Type).toBe('AWS::IAM::Role');
      expect(role.Properties.RoleName).toBe('ssm-step-watch-reader');
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Principal: { AWS: { Ref: 'PollerRoleArns' } }, Action: 'sts:AssumeRole' },
      ]);
      expect(role.Properties.Policies).toEqual([
        {
          PolicyName: 'DescribeAutomations',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['ssm:DescribeAutomationExecutions', 'ssm:DescribeAutomationStepExecutions'],
                Resource: '*',
              },
            ],
          },
        },
      ]);
    });

    it('deploys the hint forwarder to every region of the organization', () => {
      fixture.templates.organization.hasResourceProperties('AWS::CloudFormation::StackSet', {
        StackSetName: Match.stringLikeRegexp('HintForwarders$'),
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        Parameters: [
          { ParameterKey: 'PollerAccount', ParameterValue: '123456789012' },
          { ParameterKey: 'PollerRegion', ParameterValue: 'eu-west-1' },
          { ParameterKey: 'HintBusName', ParameterValue: 'ssm-step-watch-hints' },
        ],
        StackInstancesGroup: [
          { DeploymentTargets: { OrganizationalUnitIds: [ROOT_ID] }, Regions: ['eu-west-1', 'us-east-1'] },
        ],
      });
    });

    it("forwards this account's and region's SSM Automation events to the poller's hint bus, except in the poller's own", () => {
      // Prepare
      const template = stackSetTemplate('organization', 'HintForwarders');
      const { Role: role, Rule: rule } = template.Resources;

      // Assess
      expect(template.Conditions.Forwards).toEqual({ 'Fn::Not': [{ Condition: 'IsPoller' }] });
      expect([role.Condition, rule.Condition]).toEqual(['Forwards', 'Forwards']);
      expect(rule.Properties.EventPattern).toEqual({
        source: ['aws.ssm'],
        'detail-type': Object.values(NATIVE_DETAIL_TYPES),
        account: [{ Ref: 'AWS::AccountId' }],
        region: [{ Ref: 'AWS::Region' }],
      });
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation and IAM substitution syntax.
      const bus = 'arn:${AWS::Partition}:events:${PollerRegion}:${PollerAccount}:event-bus/${HintBusName}';
      expect(rule.Properties.Targets).toEqual([
        { Id: 'HintBus', Arn: { 'Fn::Sub': bus }, RoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] } },
      ]);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation and IAM substitution syntax.
      expect(role.Properties.RoleName).toEqual({ 'Fn::Sub': 'ssm-step-watch-reader-hints-${AWS::Region}' });
      expect(role.Properties.Policies[0].PolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::Sub': bus } },
      ]);
    });

    it('targets the given OUs, intersected with the accounts left after the exclusions, as a delegated administrator', () => {
      fixture.templates.scoped.resourceCountIs('AWS::CloudFormation::StackSet', 1);
      fixture.templates.scoped.hasResourceProperties('AWS::CloudFormation::StackSet', {
        CallAs: 'DELEGATED_ADMIN',
        StackInstancesGroup: [
          {
            DeploymentTargets: {
              OrganizationalUnitIds: ['ou-ab12-cdef3456'],
              Accounts: ['111122223333'],
              AccountFilterType: 'INTERSECTION',
            },
            Regions: ['eu-west-1'],
          },
        ],
      });
      expect(stackSetTemplate('scoped', 'ReaderRoles').Resources.ReaderRole.Properties.RoleName).toBe(
        'team-ssm-reader',
      );
    });

    it('looks up the root only when it needs it: no OU given, or hints on', () => {
      fixture.templates.organization.resourceCountIs('Custom::StepWatchOrganizationRoot', 1);
      fixture.templates.organization.hasResourceProperties('Custom::StepWatchOrganizationRoot', {
        Update: Match.serializedJson(
          Match.objectLike({
            service: 'Organizations',
            action: 'listRoots',
            outputPaths: ['Roots.0.Id', 'Roots.0.Arn'],
          }),
        ),
      });
      fixture.templates.organization.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [{ Effect: 'Allow', Action: 'organizations:ListRoots', Resource: '*' }],
        },
      });
      fixture.templates.scoped.resourceCountIs('Custom::StepWatchOrganizationRoot', 0);
    });
  });

  describe('hints', () => {
    it("admits the forwarders' roles of the organization's accounts to the hint bus with one statement on its id, and leaves the default bus alone", () => {
      fixture.templates.organization.resourceCountIs('AWS::Events::EventBusPolicy', 0);
      fixture.templates.organization.hasResourceProperties('AWS::Events::EventBus', {
        Name: 'ssm-step-watch-hints',
        Policy: {
          Version: '2012-10-17',
          Statement: [
            Match.objectLike({ Sid: 'OnlyForwarders', Effect: 'Deny' }),
            Match.objectLike({ Sid: 'OnlySsmEvents', Effect: 'Deny' }),
            Match.objectLike({
              Sid: 'ForwardersPutSsmEvents',
              Effect: 'Allow',
              Principal: { AWS: '*' },
              Action: 'events:PutEvents',
              Condition: Match.objectLike({
                StringEquals: {
                  'aws:PrincipalOrgID': {
                    'Fn::Select': [
                      1,
                      {
                        'Fn::Split': ['/', { 'Fn::GetAtt': [Match.stringLikeRegexp('Root'), 'Roots.0.Arn'] }],
                      },
                    ],
                  },
                },
                ArnLike: {
                  'aws:PrincipalArn': {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/ssm-step-watch-reader-hints-*'],
                    ],
                  },
                },
              }),
            }),
          ],
        },
      });
    });

    it('admits on the hint bus exactly the role names the StackSet and a StepWatchHintForwarder give, with a custom memberRoleName', () => {
      // Prepare: bundles nothing, only the templates are read.
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const poller = new Stack(app, 'Poller', { env: { account: '123456789012', region: 'eu-west-1' } });
      const member = new Stack(app, 'Management', { env: { account: '123456789012', region: 'us-east-1' } });

      // Act
      new StepWatch(poller, 'StepWatch', {
        organization: { regions: ['eu-west-1', 'us-east-1'], memberRoleName: 'team-ssm-reader' },
      });
      new StepWatchHintForwarder(member, 'Hints', {
        pollerAccount: '123456789012',
        pollerRegion: 'eu-west-1',
        memberRoleName: 'team-ssm-reader',
      });

      // Assess
      const template = Template.fromStack(poller);
      const [bus] = Object.values(template.findResources('AWS::Events::EventBus')).filter(
        (resource) => resource.Properties.Name === 'ssm-step-watch-hints',
      );
      const admitted = bus?.Properties.Policy.Statement.map(
        // biome-ignore lint/suspicious/noExplicitAny: a parsed policy statement.
        (statement: any) =>
          (statement.Condition.ArnLike ?? statement.Condition.ArnNotLike)?.['aws:PrincipalArn'],
      ).filter(Boolean);
      const pattern = {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/team-ssm-reader-hints-*']],
      };
      expect(admitted).toEqual([pattern, pattern]);
      const [role] = Object.values(Template.fromStack(member).findResources('AWS::IAM::Role'));
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax.
      expect(role?.Properties.RoleName).toEqual({ 'Fn::Sub': 'team-ssm-reader-hints-${AWS::Region}' });
      const [stackSet] = Object.entries(template.findResources('AWS::CloudFormation::StackSet'))
        .filter(([id]) => id.includes('HintForwarders'))
        .map(([, resource]) => JSON.parse(resource.Properties.TemplateBody));
      expect(stackSet.Resources.Role.Properties.RoleName).toEqual(role?.Properties.RoleName);
    });

    it("matches SSM's events of the organization's regions on the hint bus, whatever the account", () => {
      fixture.templates.organization.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: { Ref: Match.stringLikeRegexp('HintBus') },
        EventPattern: {
          source: ['aws.ssm'],
          'detail-type': Object.values(NATIVE_DETAIL_TYPES),
          account: Match.absent(),
          region: ['eu-west-1', 'us-east-1'],
        },
      });
    });

    it('tells the hint reader the scope, the member role name within it', () => {
      fixture.templates.organization.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.hintHandler',
        Environment: {
          Variables: Match.objectLike({
            ORGANIZATION: Match.stringLikeRegexp('"memberRoleName":"ssm-step-watch-reader"'),
            MEMBER_ROLE_NAME: Match.absent(),
            SHARDS: Match.absent(),
          }),
        },
      });
    });
  });
});

describe('Context: organization=true regions=eu-west-1,us-east-1', () => {
  let outdir: string;
  let stack: StepWatchStack;
  let template: Template;

  beforeAll(() => {
    // Prepare: what `cdk synth -c organization=true -c regions=eu-west-1,us-east-1` reads, env-agnostic.
    outdir = mkdtempSync(join(tmpdir(), 'step-watch-org-context-'));
    const context: Partial<Record<ContextKey, unknown>> = {
      organization: 'true',
      regions: 'eu-west-1,us-east-1',
    };
    const { stackName, props } = stepWatchPropsFromContext((key) => context[key]);
    const app = new App({ outdir });
    stack = new StepWatchStack(app, stackName, props);
    app.synth();
    template = Template.fromStack(stack);
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes the StackSets on the looked-up root and the discovery wiring with no other input', () => {
    template.resourceCountIs('AWS::CloudFormation::StackSet', 2);
    template.resourceCountIs('Custom::StepWatchOrganizationRoot', 1);
    template.hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackSetName: Match.stringLikeRegexp('ReaderRoles$'),
      StackInstancesGroup: [
        { DeploymentTargets: { OrganizationalUnitIds: [ROOT_ID] }, Regions: [{ Ref: 'AWS::Region' }] },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.dispatcher',
      Environment: {
        Variables: Match.objectLike({
          ORGANIZATION: Match.stringLikeRegexp('"regions":\\["eu-west-1","us-east-1"\\]'),
        }),
      },
    });
  });

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});
