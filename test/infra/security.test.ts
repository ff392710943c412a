// Each security control of docs/security.md, asserted on the default, notifications and organization templates (and one with a bus key).
import { App, type CfnElement, Fn, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnEventBus } from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepWatchPropsFromContext } from '../../lib/context';
import { StepWatchConfigError } from '../../lib/errors';
import { StepWatch, type StepWatchShard } from '../../lib/step-watch';
import { createInfraFixture, type InfraFixture } from './fixture';

type Key = 'defaults' | 'notifications' | 'organization';
const KEYS: readonly Key[] = ['defaults', 'notifications', 'organization'];

/** A statement of a parsed policy document. */
interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a parsed CloudFormation template has no static shape.
type Resources = Record<string, { Type: string; Properties?: any; DependsOn?: string[] }>;

let fixture: InfraFixture<Key>;

beforeAll(() => {
  fixture = createInfraFixture({
    defaults: {},
    notifications: { notifications: { emails: ['ops@example.com'] } },
    organization: {
      env: { account: '123456789012', region: 'eu-west-1' },
      organization: { regions: ['eu-west-1', 'us-east-1'] },
    },
  });
});

afterAll(() => fixture.cleanup());

/** An App that bundles no function: for stacks whose IAM and annotations are all a test reads. */
function unbundled(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

function resourcesOf(key: Key): Resources {
  return fixture.templates[key].toJSON().Resources as Resources;
}

function resolve(key: Key, value: unknown): unknown {
  return fixture.stacks[key].resolve(value);
}

/** Every statement of every resource policy, key policy and trust policy, with where it is. */
function policyStatements(resources: Resources): Array<{ at: string; statement: Statement }> {
  return Object.entries(resources).flatMap(([id, { Type, Properties }]) => {
    const documents =
      Type === 'AWS::KMS::Key'
        ? [Properties.KeyPolicy]
        : Type === 'AWS::SQS::QueuePolicy' || Type === 'AWS::SNS::TopicPolicy'
          ? [Properties.PolicyDocument]
          : Type === 'AWS::Events::EventBus'
            ? [Properties.Policy]
            : Type === 'AWS::IAM::Role'
              ? [Properties.AssumeRolePolicyDocument]
              : [];
    return documents
      .filter((document) => document !== undefined)
      .flatMap((document) =>
        (document.Statement as Statement[]).map((statement) => ({ at: `${Type} ${id}`, statement })),
      );
  });
}

function servicesOf(statement: Statement): string[] {
  const service = (statement.Principal as { Service?: string | string[] } | undefined)?.Service;
  return service === undefined ? [] : [service].flat();
}

describe('Security controls (docs/security.md)', () => {
  describe("the poller's bus", () => {
    it.each(KEYS)(
      'denies events of the poller source to every principal but the poller roles (%s)',
      (key) => {
        const stack = fixture.stacks[key];
        const { stepWatch } = stack;
        const roles = [stepWatch.function, stepWatch.hints?.function].map((fn) =>
          resolve(key, fn?.role?.roleArn),
        );
        const bus = resourcesOf(key)[stack.getLogicalId(stepWatch.bus.node.defaultChild as CfnElement)];
        expect(bus?.Properties.Policy).toEqual({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'OnlyPollerPublishesItsSource',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'events:PutEvents',
              Resource: expect.objectContaining({ 'Fn::Join': expect.anything() }),
              Condition: {
                'ForAnyValue:StringEquals': { 'events:source': ['ssm-step-watch'] },
                ArnNotEquals: { 'aws:PrincipalArn': roles },
              },
            },
          ],
        });
      },
    );

    it('exempts a publisher granted with grantSourcePublish, and gives it PutEvents on the bus', () => {
      // Prepare
      const stack = new Stack(new App(), 'Publisher');
      const watch = new StepWatch(stack, 'StepWatch', { hints: false });
      const publisher = new iam.Role(stack, 'Replayer', { assumedBy: new iam.AccountRootPrincipal() });

      // Act
      watch.grantSourcePublish(publisher);
      const template = Template.fromStack(stack);

      // Assess
      const [bus] = Object.values(template.findResources('AWS::Events::EventBus'));
      expect(bus?.Properties.Policy.Statement[0].Condition.ArnNotEquals['aws:PrincipalArn']).toEqual([
        stack.resolve(watch.function.role?.roleArn),
        stack.resolve(publisher.roleArn),
      ]);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(publisher.roleName)],
        PolicyDocument: {
          Statement: [
            { Effect: 'Allow', Action: 'events:PutEvents', Resource: stack.resolve(watch.bus.eventBusArn) },
          ],
        },
      });
    });
  });

  describe('the default bus and the hint bus', () => {
    it.each(KEYS)('never changes the default bus policy (%s)', (key) => {
      fixture.templates[key].resourceCountIs('AWS::Events::EventBusPolicy', 0);
      expect(JSON.stringify(fixture.templates[key].toJSON())).not.toMatch(/event-bus\/default(?![\w-])/);
    });

    it.each(KEYS)("matches only this account's and region's SSM events on the default bus (%s)", (key) => {
      const stack = fixture.stacks[key];
      const rules = fixture.templates[key].findResources('AWS::Events::Rule', {
        Properties: { EventPattern: { source: ['aws.ssm'] }, EventBusName: Match.absent() },
      });
      expect(Object.values(rules).map((rule) => rule.Properties.EventPattern)).toEqual([
        expect.objectContaining({
          account: [resolve(key, stack.account)],
          region: [resolve(key, stack.region)],
        }),
      ]);
    });

    it('creates no hint bus when every shard is this account and region', () => {
      for (const key of ['defaults', 'notifications'] as const) {
        expect(fixture.stacks[key].stepWatch.hints?.hintBus).toBeUndefined();
        fixture.templates[key].resourceCountIs('AWS::Events::EventBus', 1);
      }
    });

    it("admits only the StackSet's forwarder roles within the organization to the hint bus, and only SSM's events", () => {
      // Prepare
      const forwarders = {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/ssm-step-watch-reader-hints-*']],
      };
      const [bus] = Object.values(
        fixture.templates.organization.findResources('AWS::Events::EventBus', {
          Properties: { Name: 'ssm-step-watch-hints' },
        }),
      );
      const statements = bus?.Properties.Policy.Statement as Statement[];

      // Assess
      expect(statements.map(({ Sid, Effect }) => [Sid, Effect])).toEqual([
        ['OnlyForwarders', 'Deny'],
        ['OnlySsmEvents', 'Deny'],
        ['ForwardersPutSsmEvents', 'Allow'],
      ]);
      expect(statements[0]?.Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': forwarders } });
      expect(statements[1]?.Condition).toEqual({
        'ForAnyValue:StringNotEquals': { 'events:source': ['aws.ssm'] },
      });
      expect(statements[2]?.Condition).toMatchObject({
        StringEquals: { 'aws:PrincipalOrgID': expect.objectContaining({ 'Fn::Select': expect.anything() }) },
        ArnLike: { 'aws:PrincipalArn': forwarders },
      });
    });

    it('has the StackSet name its forwarder role as the hint bus admits it, and target the hint bus', () => {
      const [stackSet] = Object.values(
        fixture.templates.organization.findResources('AWS::CloudFormation::StackSet', {
          Properties: { StackSetName: Match.stringLikeRegexp('HintForwarders$') },
        }),
      );
      const template = JSON.parse(stackSet?.Properties.TemplateBody);
      expect(template.Resources.Role.Properties.RoleName).toEqual({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax.
        'Fn::Sub': 'ssm-step-watch-reader-hints-${AWS::Region}',
      });
      expect(template.Resources.Rule.Properties.Targets[0].Arn['Fn::Sub']).toMatch(
        /event-bus\/\$\{HintBusName\}$/,
      );
      expect(stackSet?.Properties.Parameters).toContainEqual({
        ParameterKey: 'HintBusName',
        ParameterValue: 'ssm-step-watch-hints',
      });
    });
  });

  describe('service principals', () => {
    it.each(KEYS)(
      'grant a service (other than Lambda assuming its role) nothing without aws:SourceArn or aws:SourceAccount (%s)',
      (key) => {
        const unconditioned = policyStatements(resourcesOf(key))
          .filter(({ statement }) => statement.Effect === 'Allow')
          .filter(({ statement }) =>
            servicesOf(statement).some((service) => service !== 'lambda.amazonaws.com'),
          )
          .filter(({ statement }) => {
            const keys = Object.values(statement.Condition ?? {}).flatMap((condition) =>
              Object.keys(condition),
            );
            return !keys.some((name) => name === 'aws:SourceArn' || name === 'aws:SourceAccount');
          })
          .map(({ at, statement }) => `${at}: ${servicesOf(statement).join(',')} ${statement.Action}`);
        expect(unconditioned).toEqual([]);
        for (const permission of Object.values(
          fixture.templates[key].findResources('AWS::Lambda::Permission'),
        )) {
          expect(permission.Properties.SourceArn ?? permission.Properties.SourceAccount).toBeDefined();
        }
      },
    );
  });

  describe('IAM', () => {
    it.each(KEYS)('lets no role delete table items (%s)', (key) => {
      expect(JSON.stringify(fixture.templates[key].findResources('AWS::IAM::Policy'))).not.toContain(
        'dynamodb:DeleteItem',
      );
    });

    it('conditions sts:AssumeRole on the poller organization in organization mode', () => {
      const statements = Object.values(fixture.templates.organization.findResources('AWS::IAM::Policy'))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
        .filter((statement) => statement.Action === 'sts:AssumeRole');
      expect(statements).toHaveLength(2);
      for (const statement of statements) {
        expect(statement.Condition).toEqual({
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable.
          StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' },
        });
      }
    });

    it("warns that a poller outside an organization assumes no role when the shards' accounts are too many to list", () => {
      // Prepare: 600 accounts, too many for the aws:ResourceAccount list.
      const shards = Array.from({ length: 600 }, (_, i) => {
        const account = String(200_000_000_000 + i * 7919);
        return { account, region: 'eu-west-1', roleArn: `arn:aws:iam::${account}:role/StepWatchReader` };
      });
      const stack = new Stack(unbundled(), 'ManyAccounts', {
        env: { account: '123456789012', region: 'eu-west-1' },
      });

      // Act
      new StepWatch(stack, 'StepWatch', { hints: false, shards });

      // Assess
      const warnings = Annotations.fromStack(stack).findWarning(
        '*',
        Match.stringLikeRegexp('assume-role-organization'),
      );
      expect(warnings.map((warning) => warning.entry.data)).toEqual([
        expect.stringContaining(
          'the poller may assume their roles only in its own organization (aws:ResourceOrgID), and a poller whose account is in no organization may assume none.',
        ),
      ]);
    });

    it('refuses a token role ARN without its account once the role ARNs are too many to list, naming shards[i].account', () => {
      // Prepare: 60 role ARNs are past the exact-ARN limit; the last one's account is unknown.
      const shards: StepWatchShard[] = Array.from({ length: 60 }, (_, i) => {
        const account = String(200_000_000_000 + i * 7919);
        return { account, region: 'eu-west-1', roleArn: `arn:aws:iam::${account}:role/StepWatchReader` };
      });
      const stack = new Stack(unbundled(), 'TokenRole', {
        env: { account: '123456789012', region: 'eu-west-1' },
      });
      shards.push({ region: 'us-east-1', roleArn: Fn.importValue('ReaderRoleArn') });

      // Act, Assess
      expect(() => new StepWatch(stack, 'StepWatch', { hints: false, shards })).toThrow(
        new StepWatchConfigError(
          "shards[60].account must be given when shards[60].roleArn is a token: the shards' role ARNs are too many to list, and the AssumeRole condition on their accounts needs every shard's account.",
        ),
      );
    });

    it('tells the poll function the shards a work item may name in the fan-out', () => {
      fixture.templates.organization.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Environment: {
          Variables: Match.objectLike({
            ORGANIZATION: Match.stringLikeRegexp('"regions":\\["eu-west-1","us-east-1"\\]'),
          }),
        },
      });
    });
  });

  describe('at rest', () => {
    it.each(KEYS)('protects the table from deletion (%s)', (key) => {
      fixture.templates[key].hasResourceProperties('AWS::DynamoDB::Table', {
        DeletionProtectionEnabled: true,
      });
    });

    it('lets a prop, or the tableDeletionProtection context key, turn deletion protection off', () => {
      const read = (value: unknown) => (key: string) =>
        key === 'tableDeletionProtection' ? value : undefined;
      expect(stepWatchPropsFromContext(read('false')).props.tableDeletionProtection).toBe(false);
      expect(stepWatchPropsFromContext(read(undefined)).props.tableDeletionProtection).toBeUndefined();
      const stack = new Stack(new App(), 'Unprotected');
      new StepWatch(stack, 'StepWatch', { hints: false, tableDeletionProtection: false });
      Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
        DeletionProtectionEnabled: false,
      });
    });

    it.each(KEYS)(
      'sends every function, the custom resource provider included, to a log group with a retention (%s)',
      (key) => {
        const resources = resourcesOf(key);
        const functions = Object.entries(resources).filter(
          ([, resource]) => resource.Type === 'AWS::Lambda::Function',
        );
        expect(functions.length).toBeGreaterThanOrEqual(2);
        for (const [id, fn] of functions) {
          const logGroup = fn.Properties.LoggingConfig?.LogGroup?.Ref as string | undefined;
          expect(logGroup, id).toBeDefined();
          expect(resources[logGroup as string]?.Properties.RetentionInDays, id).toBe(30);
        }
      },
    );
  });
});

describe('Security controls with eventBusEncryptionKey', () => {
  let stack: Stack;
  let watch: StepWatch;
  let key: kms.Key;
  let template: Template;

  beforeAll(() => {
    stack = new Stack(new App(), 'Encrypted', { env: { account: '123456789012', region: 'eu-west-1' } });
    key = new kms.Key(stack, 'BusKey', { enableKeyRotation: true });
    watch = new StepWatch(stack, 'StepWatch', { hints: false, eventBusEncryptionKey: key });
    template = Template.fromStack(stack);
  });

  it('encrypts the bus and the archive with the key, the bus dead-lettering what it cannot encrypt', () => {
    template.hasResourceProperties('AWS::Events::EventBus', {
      KmsKeyIdentifier: stack.resolve(key.keyArn),
      DeadLetterConfig: { Arn: stack.resolve(watch.deadLetterQueue.queueArn) },
    });
    template.hasResourceProperties('AWS::Events::Archive', { KmsKeyIdentifier: stack.resolve(key.keyArn) });
  });

  it('lets EventBridge use the key only on condition of this account (and the bus), and send dead letters only from the bus', () => {
    const busArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:events:eu-west-1:123456789012:event-bus/${stack.resolve((watch.bus.node.defaultChild as CfnEventBus).name)}`,
        ],
      ],
    };
    const keyStatements = policyStatements(template.toJSON().Resources as Resources)
      .filter(({ at }) => at.startsWith('AWS::KMS::Key'))
      .map(({ statement }) => statement)
      .filter((statement) => servicesOf(statement).includes('events.amazonaws.com'));
    expect(keyStatements.length).toBeGreaterThanOrEqual(3);
    for (const statement of keyStatements) {
      expect(statement.Condition?.StringEquals?.['aws:SourceAccount']).toBe('123456789012');
    }
    expect(
      keyStatements.find((statement) => statement.Sid === 'EventBridgeArchiveEncryption')?.Condition,
    ).toEqual({
      StringEquals: {
        'aws:SourceAccount': '123456789012',
        'kms:EncryptionContext:aws:events:event-bus:arn': busArn,
      },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'BusDeadLetters',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: stack.resolve(watch.deadLetterQueue.queueArn),
            Condition: { ArnEquals: { 'aws:SourceArn': busArn } },
          },
        ]),
      },
    });
  });
});
