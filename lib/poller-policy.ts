// The IAM policies of the StepWatch's pollers, written out statement by statement so tests can assert them exactly.
import { Annotations, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { INDEXES } from '../lambda/adapters/dynamodb/schema';
import { StepWatchConfigError } from './errors';
import type { ResolvedStepWatchProps } from './resolved-props';

/**
 * DynamoDB actions the poll cycle performs on the table's items. No DeleteItem: what ends (a named
 * execution's mark) is updated to expire, and TTL removes it.
 */
const TABLE_ITEM_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

/** Above this many characters the exact shard role ARNs give way to one pattern per role name. */
const EXACT_SHARD_ROLES_MAX_CHARS = 2048;
/**
 * Above this many characters (about 520 accounts) the shards' account list leaves the AssumeRole
 * condition for the poller's organization: a role's inline policies share 10,240 characters, and the
 * rest of the poller's policy takes about 2,000.
 */
const SHARD_ACCOUNTS_MAX_CHARS = 7800;
const ROLE_ARN_ACCOUNT = /^arn:[^:]+:iam::(\d{12}):role\//;

/** SSM calls the poller makes; neither supports resource-level permissions. */
const SSM_DESCRIBE_ACTIONS = [
  'ssm:DescribeAutomationExecutions',
  'ssm:DescribeAutomationStepExecutions',
] as const;

/** What a poller's policy names: the table, the bus and the shards' roles of the settings. */
export interface PollerResources {
  /** The validated settings (shards, organization, table key). */
  readonly settings: ResolvedStepWatchProps;
  /** The table of snapshots and the audit trail. */
  readonly table: dynamodb.ITable;
  /** The bus the poller publishes to. */
  readonly bus: events.IEventBus;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** A function's own log group: the only logs it may write. */
export function grantOwnLogs(role: iam.Role, logGroup: logs.LogGroup): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
}

/** The table's customer-managed key, when there is one: what DynamoDB needs of it for reads and writes. */
export function grantTableKey(role: iam.Role, settings: ResolvedStepWatchProps): void {
  const key = settings.tableEncryptionKey;
  if (!key) return;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'UseTableKey',
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
    }),
  );
}

/**
 * A poller's whole policy (the scheduled one's and the hint reader's), written out statement by
 * statement so tests can assert it exactly.
 */
export function grantPollerPermissions(
  role: iam.Role,
  logGroup: logs.LogGroup,
  { settings, table, bus }: PollerResources,
): void {
  grantOwnLogs(role, logGroup);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'DescribeAutomations',
      actions: [...SSM_DESCRIBE_ACTIONS],
      resources: ['*'],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadWriteTableItems',
      actions: [...TABLE_ITEM_ACTIONS],
      resources: [table.tableArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'QueryTableIndexes',
      actions: ['dynamodb:Query'],
      resources: INDEXES.map((index) => `${table.tableArn}/index/${index.indexName}`),
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'PublishEvents',
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
    }),
  );
  grantTableKey(role, settings);
  grantAssumeShardRoles(role, settings);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ssm:DescribeAutomationExecutions and ssm:DescribeAutomationStepExecutions support no resource-level permissions, so they can only be granted on *; every other statement names its resource.',
  });
}

/** The poller's organization: an IAM policy variable, not JavaScript. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variable syntax.
const IN_POLLER_ORGANIZATION = { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } };

/**
 * `sts:AssumeRole` on the shards' roles, in a statement that does not grow past IAM's policy size,
 * and never on a role outside the accounts watched: the organization's member role in any account
 * of the organization; the listed shards' role ARNs while they are few, else one pattern per role
 * name, either way on condition of the shards' accounts (`aws:ResourceAccount`), or of the poller's
 * organization when even the account list is too long (which denies every AssumeRole to a poller
 * whose account is in no organization; a warning says so). A shard whose role ARN is a token must
 * name its account once the patterns are needed. The member roles' trust policies name the poller's
 * role besides.
 */
function grantAssumeShardRoles(role: iam.Role, settings: ResolvedStepWatchProps): void {
  const stack = Stack.of(role);
  let resources: string[];
  let conditions: Record<string, Record<string, unknown>> | undefined;
  if (settings.organization) {
    resources = [`arn:${stack.partition}:iam::*:role/${settings.organization.memberRoleName}`];
    conditions = IN_POLLER_ORGANIZATION;
  } else {
    const withRoles = settings.shards.filter((shard) => shard.roleArn !== undefined);
    const exact = unique(withRoles.map((shard) => shard.roleArn as string));
    resources =
      JSON.stringify(exact).length <= EXACT_SHARD_ROLES_MAX_CHARS
        ? exact
        : unique(exact.map((arn) => arn.replace(/^(arn:[^:]+:iam::)\d{12}(:role\/.+)$/, '$1*$2')));
    const accounts = withRoles.map(
      (shard) => shard.account ?? ROLE_ARN_ACCOUNT.exec(shard.roleArn as string)?.[1],
    );
    if (accounts.every((account) => account !== undefined)) {
      const list = unique(accounts as string[]);
      if (JSON.stringify(list).length <= SHARD_ACCOUNTS_MAX_CHARS) {
        conditions = { StringEquals: { 'aws:ResourceAccount': list } };
      } else {
        conditions = IN_POLLER_ORGANIZATION;
        Annotations.of(role).addWarningV2(
          'ssm-step-watch:assume-role-organization',
          `The ${list.length} shard accounts are too many to list in the AssumeRole condition; the poller may assume their roles only in its own organization (aws:ResourceOrgID), and a poller whose account is in no organization may assume none.`,
        );
      }
    } else if (resources.some((arn) => arn.includes('::*:'))) {
      // A role ARN that is a token names no account the patterns could be narrowed by.
      const i = settings.shards.findIndex(
        (shard) =>
          shard.roleArn !== undefined &&
          shard.account === undefined &&
          ROLE_ARN_ACCOUNT.exec(shard.roleArn) === null,
      );
      throw new StepWatchConfigError(
        `shards[${i}].account must be given when shards[${i}].roleArn is a token: the shards' role ARNs are too many to list, and the AssumeRole condition on their accounts needs every shard's account.`,
      );
    }
  }
  if (resources.length === 0) return;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'AssumeShardRoles',
      actions: ['sts:AssumeRole'],
      resources,
      ...(conditions && { conditions }),
    }),
  );
  for (const resource of resources.filter((arn) => arn.includes('::*:'))) {
    // cdk-nag writes the partition token as <AWS::Partition>; with partition literals on, it is the partition itself.
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    const shown = settings.organization
      ? `arn:${partition}:iam::*:role/${settings.organization.memberRoleName}`
      : resource;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${shown}]`,
      reason: `sts:AssumeRole on every account's role of this name (${resource.split('/').pop()}): the accounts are too many to list as ARNs within IAM's policy size; the statement's condition limits it to ${conditions === IN_POLLER_ORGANIZATION ? "the poller's organization (aws:ResourceOrgID)" : "the shards' accounts (aws:ResourceAccount)"}, and each member role's trust policy names the poller's role.`,
    });
  }
}
