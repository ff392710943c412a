// The organization side of a StepWatch: the root lookup and the service-managed StackSets that put the reader role and the hint forwarder into every member account.
import { CfnStackSet, Fn, Names, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { NATIVE_DETAIL_TYPES, NATIVE_SOURCE } from '../lambda/core/hints';
import { omitRedundantRoleDependencies } from './depends-on';
import type { ResolvedOrganization } from './resolved-props';

/** Props of {@link StepWatchOrganizationStackSets}. */
export interface StepWatchOrganizationStackSetsProps {
  /** The validated `organization` prop. */
  readonly organization: ResolvedOrganization;
  /** The roles the member accounts' reader role trusts: the poll function's, and the hint reader's. */
  readonly readers: readonly iam.IRole[];
  /** Also deploy the forwarder of SSM's Automation events to every region of `organization.regions`. */
  readonly hints: boolean;
  /** The bus in the poller's account and region the forwarders send to. */
  readonly hintBusName: string;
  /** Retention of the root lookup's log group (the custom resource's function). */
  readonly logRetention: logs.RetentionDays;
}

/** SSM calls the member accounts' reader role allows; neither supports resource-level permissions. */
export const MEMBER_READ_ACTIONS = [
  'ssm:DescribeAutomationExecutions',
  'ssm:DescribeAutomationStepExecutions',
] as const;

/** The longest region name aws-cdk-lib knows (`us-isof-south-1`): the forwarder's role name ends with it. */
const LONGEST_REGION = Math.max(...RegionInfo.regions.map((region) => region.name.length));
const HINT_ROLE_INFIX = '-hints-';

/** The hint forwarder's role name, per region because IAM names are global in an account. */
export function hintForwarderRoleName(memberRoleName: string): string {
  return `${hintForwarderRolePrefix(memberRoleName)}\${AWS::Region}`;
}

/** The names of the hint forwarders' roles of every region: what the hint bus admits. */
export function hintForwarderRolePattern(memberRoleName: string): string {
  return `${hintForwarderRolePrefix(memberRoleName)}*`;
}

/** The beginning of every hint forwarder role's name: what the hint bus admits, a region or any suffix after it. */
export function hintForwarderRolePrefix(memberRoleName: string): string {
  return `${memberRoleName.slice(0, 64 - HINT_ROLE_INFIX.length - LONGEST_REGION)}${HINT_ROLE_INFIX}`;
}

/**
 * The template the reader StackSet deploys once per member account (IAM is global, so one region):
 * the role `memberRoleName`, trusting the poller's roles by ARN, allowed SSM's two Describe calls.
 */
export function readerRoleTemplate(memberRoleName: string): Record<string, unknown> {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'ssm-step-watch: the read-only role the poller assumes to read SSM Automation executions',
    Parameters: {
      PollerRoleArns: {
        Type: 'CommaDelimitedList',
        Description: "ARNs of the poller's roles allowed to assume the reader role",
      },
    },
    Resources: {
      ReaderRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: memberRoleName,
          Description: 'ssm-step-watch reader: SSM Automation Describe calls only',
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: { Ref: 'PollerRoleArns' } },
                Action: 'sts:AssumeRole',
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'DescribeAutomations',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: [...MEMBER_READ_ACTIONS], Resource: '*' }],
              },
            },
          ],
        },
      },
    },
  };
}

/**
 * The template the hint forwarder StackSet deploys to every region of every member account: the shape
 * of {@link StepWatchHintForwarder} (a rule on the local default bus for SSM's Automation events of
 * this account and region, sent to the poller's hint bus with a role that may only put events there;
 * the hint bus admits this role by its name). In the poller's own account and region it deploys
 * nothing (its hint rule reads that default bus).
 */
export function hintForwarderTemplate(memberRoleName: string): Record<string, unknown> {
  const pollerBus =
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not JavaScript's.
    'arn:${AWS::Partition}:events:${PollerRegion}:${PollerAccount}:event-bus/${HintBusName}';
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: "ssm-step-watch: forwards SSM Automation events to the poller's hint bus as hints",
    Parameters: {
      PollerAccount: { Type: 'String', AllowedPattern: '^\\d{12}$' },
      PollerRegion: { Type: 'String' },
      HintBusName: { Type: 'String', Description: "The poller's hint bus" },
    },
    Conditions: {
      IsPoller: {
        'Fn::And': [
          { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, { Ref: 'PollerAccount' }] },
          { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'PollerRegion' }] },
        ],
      },
      Forwards: { 'Fn::Not': [{ Condition: 'IsPoller' }] },
    },
    Resources: {
      // A stack needs one resource even where the condition leaves the forwarder out.
      Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' },
      Role: {
        Type: 'AWS::IAM::Role',
        Condition: 'Forwards',
        Properties: {
          RoleName: { 'Fn::Sub': hintForwarderRoleName(memberRoleName) },
          Description:
            "Lets EventBridge forward SSM Automation events to the ssm-step-watch poller's hint bus",
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'PutEventsOnHintBus',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::Sub': pollerBus } },
                ],
              },
            },
          ],
        },
      },
      Rule: {
        Type: 'AWS::Events::Rule',
        Condition: 'Forwards',
        Properties: {
          Description:
            'SSM Automation status changes of this account and region, forwarded to ssm-step-watch as hints',
          // Only events that happened here: forwarded events keep their account and region.
          EventPattern: {
            source: [NATIVE_SOURCE],
            'detail-type': Object.values(NATIVE_DETAIL_TYPES),
            account: [{ Ref: 'AWS::AccountId' }],
            region: [{ Ref: 'AWS::Region' }],
          },
          State: 'ENABLED',
          Targets: [
            { Id: 'HintBus', Arn: { 'Fn::Sub': pollerBus }, RoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] } },
          ],
        },
      },
    },
  };
}

/**
 * The organization's member accounts made ready for the poller, from one `cdk deploy` in the management
 * account or a delegated administrator of StackSets: a service-managed StackSet (auto-deployment on)
 * with the reader role in one region, and, with hints, one with the hint forwarder in every region.
 * Service-managed StackSets never deploy to the management account; the poller reads its own account
 * without a role.
 *
 * @example
 * const watch = new StepWatch(stack, 'Watch', { organization: { regions: ['eu-west-1', 'us-east-1'] } });
 * new CfnOutput(stack, 'ReaderStackSet', { value: watch.organization!.readerRoles.attrStackSetId });
 */
export class StepWatchOrganizationStackSets extends Construct {
  /** The reader role StackSet. */
  public readonly readerRoles: CfnStackSet;
  /** The hint forwarder StackSet, when hints are on. */
  public readonly hintForwarders?: CfnStackSet;
  /**
   * The organization's id (`o-…`), looked up at deploy time; set when hints are on (the bus policy
   * needs it) or no OU is given (the root's id comes from the same lookup).
   */
  public readonly organizationId?: string;
  /** The OU and root ids the StackSets target. */
  public readonly organizationalUnitIds: string[];

  private readonly organization: ResolvedOrganization;

  /**
   * Creates the organization's StackSets of a StepWatch. Only StepWatch makes them: their props are the
   * StepWatch's validated settings, which are no public API (and jsii cannot model them).
   *
   * @internal
   */
  public static _create(
    scope: Construct,
    id: string,
    props: StepWatchOrganizationStackSetsProps,
  ): StepWatchOrganizationStackSets {
    return new StepWatchOrganizationStackSets(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: StepWatchOrganizationStackSetsProps) {
    super(scope, id);
    const { organization, readers, hints, hintBusName, logRetention } = props;
    this.organization = organization;
    const stack = Stack.of(this);

    let rootId: string | undefined;
    if (organization.organizationalUnits === undefined || hints) {
      const root = this.lookUpRoot(logRetention);
      rootId = root.getResponseField('Roots.0.Id');
      // The root's ARN is arn:<partition>:organizations::<management account>:root/<o-id>/<r-id>.
      this.organizationId = Fn.select(1, Fn.split('/', root.getResponseField('Roots.0.Arn')));
    }
    this.organizationalUnitIds = [...(organization.organizationalUnits ?? [rootId as string])];

    this.readerRoles = this.stackSet('ReaderRoles', {
      description: `ssm-step-watch: the reader role ${organization.memberRoleName} in every member account`,
      template: readerRoleTemplate(organization.memberRoleName),
      parameters: [
        {
          parameterKey: 'PollerRoleArns',
          parameterValue: Fn.join(
            ',',
            readers.map((role) => role.roleArn),
          ),
        },
      ],
      // IAM is global: one region creates the role for the whole account.
      regions: [stack.region],
    });
    if (hints) {
      this.hintForwarders = this.stackSet('HintForwarders', {
        description:
          "ssm-step-watch: SSM Automation events of every member account and region, to the poller's hint bus",
        template: hintForwarderTemplate(organization.memberRoleName),
        parameters: [
          { parameterKey: 'PollerAccount', parameterValue: stack.account },
          { parameterKey: 'PollerRegion', parameterValue: stack.region },
          { parameterKey: 'HintBusName', parameterValue: hintBusName },
        ],
        regions: [...organization.regions],
      });
    }
  }

  /** Organizations `ListRoots` at deploy time: the root's id and ARN (which holds the organization id). */
  private lookUpRoot(logRetention: logs.RetentionDays): cr.AwsCustomResource {
    const root = new cr.AwsCustomResource(this, 'Root', {
      // The provider function (a singleton of the stack) logs here, kept as long as the others.
      logGroup: new logs.LogGroup(this, 'RootLookupLogs', { retention: logRetention }),
      resourceType: 'Custom::StepWatchOrganizationRoot',
      onUpdate: {
        service: 'Organizations',
        action: 'listRoots',
        parameters: {},
        physicalResourceId: cr.PhysicalResourceId.fromResponse('Roots.0.Id'),
        outputPaths: ['Roots.0.Id', 'Roots.0.Arn'],
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['organizations:ListRoots'], resources: ['*'] }),
      ]),
      installLatestAwsSdk: false,
    });
    Validations.of(root).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'organizations:ListRoots supports no resource-level permissions; the lookup reads the root id and organization id once per deploy.',
    });
    // The provider function every AwsCustomResource of the stack shares, named after its fixed UUID.
    const provider = Stack.of(this).node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (provider) {
      omitRedundantRoleDependencies(provider);
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "The AwsCustomResource provider function (aws-cdk-lib's, shared by the stack) uses the AWS managed basic execution policy only to write its own logs; its calls are granted by the inline policy beside it.",
      });
    }
    return root;
  }

  private stackSet(
    id: string,
    options: {
      description: string;
      template: Record<string, unknown>;
      parameters: CfnStackSet.ParameterProperty[];
      regions: string[];
    },
  ): CfnStackSet {
    const { organization } = this;
    const { accounts, excludeAccounts } = organization;
    const included = accounts?.filter((account) => !excludeAccounts?.includes(account));
    const deploymentTargets: CfnStackSet.DeploymentTargetsProperty = {
      organizationalUnitIds: [...this.organizationalUnitIds],
      ...(included !== undefined
        ? { accounts: included, accountFilterType: 'INTERSECTION' }
        : excludeAccounts !== undefined
          ? { accounts: [...excludeAccounts], accountFilterType: 'DIFFERENCE' }
          : {}),
    };
    return new CfnStackSet(this, id, {
      stackSetName: `${Names.uniqueResourceName(this, { maxLength: 100, separator: '-' })}-${id}`,
      description: options.description,
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      callAs: organization.callAs,
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: {
        regionConcurrencyType: 'PARALLEL',
        maxConcurrentPercentage: 50,
        // An account that refuses the stack (an SCP, a role of that name) must not block the others.
        failureTolerancePercentage: 10,
      },
      templateBody: JSON.stringify(options.template),
      parameters: options.parameters,
      stackInstancesGroup: [{ deploymentTargets, regions: options.regions }],
    });
  }
}
