// The public props of StepWatch and its parts: what a user of the construct passes, with TSDoc and defaults.
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';

/**
 * Powertools log levels the handler accepts (`POWERTOOLS_LOG_LEVEL`). Each value is the level's name, which is
 * also what the `logLevel` context key takes.
 */
export enum StepWatchLogLevel {
  /** Everything, including each cycle's pages, diffs and publish batches. */
  DEBUG = 'DEBUG',
  /** One summary line per cycle, and everything worse. */
  INFO = 'INFO',
  /** Problems the cycle works around (throttling, skipped records), and errors. */
  WARN = 'WARN',
  /** Only failures. */
  ERROR = 'ERROR',
}

/**
 * Which account deploys an organization's StackSets (CloudFormation's `CallAs`). Each value is CloudFormation's,
 * which is also what the `callAs` context key takes.
 */
export enum StepWatchCallAs {
  /** The management account of the organization. */
  SELF = 'SELF',
  /** A delegated administrator of CloudFormation StackSets. */
  DELEGATED_ADMIN = 'DELEGATED_ADMIN',
}

/**
 * One (account, region) the poller watches. Each shard gets its own schedule and its own SSM
 * Describe quota; the function receives `{ "shard": { account, region, roleArn } }`.
 */
export interface StepWatchShard {
  /**
   * Account to poll (12 digits). Another account needs `roleArn`.
   *
   * @default - the function's own account
   */
  readonly account?: string;
  /**
   * Region to poll.
   *
   * @default - the function's own region
   */
  readonly region?: string;
  /**
   * Role the function assumes to read SSM in `account`; it needs `ssm:DescribeAutomationExecutions`
   * and `ssm:DescribeAutomationStepExecutions` and must trust the function's role.
   *
   * @default - no role: the function's own credentials
   */
  readonly roleArn?: string;
}

/**
 * A whole AWS Organization as the poller's shards: every ACTIVE account in scope times every region.
 * The poller lists the accounts itself (cached for five minutes, so joins and leaves need no redeploy);
 * a service-managed StackSet puts the reader role (and, with `hints`, the forwarding rule) into every
 * member account. Deploy from the management account or a delegated administrator of StackSets.
 */
export interface StepWatchOrganization {
  /** Regions read in every account; the hint forwarder StackSet deploys to each of them. */
  readonly regions: string[];
  /**
   * Only accounts under these OUs (or the root), at any depth; also the StackSets' deployment targets.
   *
   * @default - the whole organization: the root, whose id is looked up at deploy time
   */
  readonly organizationalUnits?: string[];
  /**
   * Only these accounts (of those under `organizationalUnits`).
   *
   * @default - every account found
   */
  readonly accounts?: string[];
  /**
   * Accounts left out whatever the other fields say.
   *
   * @default - none
   */
  readonly excludeAccounts?: string[];
  /**
   * Name of the read-only role the StackSet creates in every member account and the poller assumes.
   *
   * @default 'ssm-step-watch-reader'
   */
  readonly memberRoleName?: string;
  /**
   * Whether this stack's account is the management account (`SELF`) or a delegated administrator
   * of CloudFormation StackSets (`DELEGATED_ADMIN`).
   *
   * @default StepWatchCallAs.SELF
   */
  readonly callAs?: StepWatchCallAs;
}

/** Props of {@link StepWatch}. Every prop is optional; the defaults deploy a working poller. */
export interface StepWatchProps {
  /**
   * How often each shard is polled: a rate expression (`rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)`)
   * or a Duration, in whole minutes from 1 minute to 1 hour. The function's timeout is the period minus
   * 5 seconds (at most 15 minutes), so one run ends before the next begins.
   *
   * @default 'rate(1 minute)'
   */
  readonly schedule?: string | Duration;
  /**
   * Name of an existing event bus to publish to.
   *
   * @default - a new event bus
   */
  readonly eventBusName?: string;
  /**
   * `source` of every emitted event; must not start with `aws.`.
   *
   * @default 'ssm-step-watch'
   */
  readonly eventSource?: string;
  /**
   * How long the bus archive keeps this poller's events for replay: a Duration of whole days or a
   * number of days, greater than 0.
   *
   * @default 90 days
   */
  readonly archiveRetention?: Duration | number;
  /**
   * How long transition records and finished executions stay in the table (TTL): a Duration of whole
   * days or a number of days, greater than 0.
   *
   * @default 365 days
   */
  readonly historyRetention?: Duration | number;
  /**
   * The (account, region) pairs to poll. Regions must be known to aws-cdk-lib. One shard keeps one
   * schedule invoking the function; more than one fan out: one schedule, a dispatcher, a work queue
   * (see `maxConcurrency`).
   *
   * @default - one shard: the function's own account and region, invoked with `{}`
   */
  readonly shards?: StepWatchShard[];
  /**
   * Poll every account of an AWS Organization (or some OUs of it) in these regions; excludes `shards`.
   *
   * @default - no organization: the shards of `shards`
   */
  readonly organization?: StepWatchOrganization;
  /**
   * With `organization` or more than one shard: how many poll cycles run at once (the work queue's
   * event source `maxConcurrency`, from 2 to 1000). Shards are served by the next free worker, so a
   * cycle of this many shards takes about (shards / maxConcurrency) x one cycle's duration.
   *
   * @default 20
   */
  readonly maxConcurrency?: number;
  /**
   * Token-bucket rate of the SSM Describe calls per shard (SSM allows about 3 a second).
   *
   * @default 2
   */
  readonly ssmDescribeTps?: number;
  /**
   * Size limit of one PutEvents entry in bytes, from 4096 to 1048576; larger fields are truncated.
   *
   * @default 262144
   */
  readonly maxEntryBytes?: number;
  /**
   * Reserved concurrency of the function with a single shard (at least 1). With `organization` or
   * more than one shard nothing is reserved: `maxConcurrency` bounds the poll function.
   *
   * @default 1
   */
  readonly reservedConcurrency?: number;
  /**
   * Retention of the function's log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Powertools log level.
   *
   * @default StepWatchLogLevel.INFO
   */
  readonly logLevel?: StepWatchLogLevel;
  /**
   * Powertools service name; also the `service` dimension of the poller's metrics.
   *
   * @default 'ssm-step-watch'
   */
  readonly serviceName?: string;
  /**
   * CloudWatch namespace of the poller's metrics; must not start with `AWS/`.
   *
   * @default 'SsmStepWatch'
   */
  readonly metricsNamespace?: string;
  /**
   * Customer managed key encrypting the table.
   *
   * @default - the AWS managed DynamoDB key
   */
  readonly tableEncryptionKey?: kms.IKey;
  /**
   * What happens to the table (the audit trail) when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * Whether the table refuses to be deleted (by CloudFormation, the console or the API) until its
   * deletion protection is turned off, so the audit trail survives a mistaken stack deletion whatever
   * `tableRemovalPolicy` says. Turn it off before deleting a stack whose table should go with it.
   *
   * @default true
   */
  readonly tableDeletionProtection?: boolean;
  /**
   * Customer managed key encrypting the event bus StepWatch creates and its archive (with
   * `eventBusName`, the archive only: that bus is its owner's). A key of this app is given statements
   * letting EventBridge use it from this account, encrypting and decrypting only with this bus's
   * encryption context (`kms:DescribeKey` on condition of the account alone). An imported key
   * (`Key.fromKeyArn`) cannot be changed from here: its owner must add those statements to its policy
   * (docs/security.md lists them), or EventBridge cannot encrypt and the deploy or the events fail.
   *
   * @default - keys AWS owns
   */
  readonly eventBusEncryptionKey?: kms.IKey;
  /**
   * Name of the bus other accounts and regions forward SSM's Automation events to as hints: created
   * with `hints` and `organization`, or shards in other accounts or regions. Its policy admits only the
   * forwarders' roles; a {@link StepWatchHintForwarder} must name the same bus. Bus names are unique in
   * an account and region: give each StepWatch with a hint bus in one account and region a name of
   * its own, or the second one fails to deploy.
   *
   * @default 'ssm-step-watch-hints'
   */
  readonly hintBusName?: string;
  /**
   * Directory holding the detail types' JSON Schemas (draft 4), read at synth time.
   *
   * @default - the project's `schemas/` directory
   */
  readonly schemaDirectory?: string;
  /**
   * Announce failure-like transitions and alarms on an SNS topic, with optional e-mail and Slack.
   * The StepWatch alarms publish to the same topic.
   *
   * @default - no topic, no notification
   */
  readonly notifications?: StepWatchNotificationProps;
  /**
   * Read an execution within seconds of a change: SSM's own `aws.ssm` Automation events on the
   * account's default bus (and those a {@link StepWatchHintForwarder} sends from other shards) feed
   * an encrypted queue, and a second function reads the executions they name, under the same shard
   * lease and SSM rate as the schedule. The schedule stays the guarantee: a lost or late hint costs
   * latency, never an event.
   *
   * @default true
   */
  readonly hints?: boolean;
  /**
   * On first deploy, read the executions SSM still remembers from this many days back into the audit
   * trail (recorded, not published, so old failures page no one): a whole number of days from 1 to 30
   * (SSM keeps Automation history 30 days). The poll function reads them at the poller's SSM rate, in
   * the time each scheduled cycle leaves free, resuming each invocation where the last one stopped,
   * until everything is read; then it costs one table read and one index query an invocation.
   * Executions still running are the scheduled poller's as always. `step-watch backfill` does the
   * same from the command line.
   *
   * @default - no backfill
   */
  readonly backfillDays?: number;
}

/** Slack delivery through AWS Chatbot. The workspace must be authorised in the Chatbot console first. */
export interface StepWatchSlackProps {
  /** Slack workspace id, as the AWS Chatbot console shows it after authorisation (e.g. `T0123ABCD`). */
  readonly workspaceId: string;
  /** Slack channel id (channel details in Slack, e.g. `C0123ABCD`); invite `@Amazon Q` to private channels. */
  readonly channelId: string;
  /**
   * Name of the Chatbot channel configuration; unique in the account.
   *
   * @default - derived from the construct path
   */
  readonly channelConfigurationName?: string;
  /**
   * Guardrail policies capping what anyone in the channel can do through Chatbot.
   *
   * @default - the AWS managed `CloudWatchReadOnlyAccess` policy
   */
  readonly guardrailPolicies?: iam.IManagedPolicy[];
}

/** Where failure-like transitions and alarms are announced. */
export interface StepWatchNotificationProps {
  /**
   * Step and execution statuses that trigger a notification. Alarm events always notify.
   *
   * @default FAILURE_STATUSES (`Failed`, `TimedOut`, `Cancelled`, `CompletedWithFailure`, `Rejected`)
   */
  readonly statuses?: string[];
  /**
   * E-mail addresses subscribed to the topic; each must confirm the subscription e-mail SNS sends.
   *
   * @default - no e-mail subscription
   */
  readonly emails?: string[];
  /**
   * Slack channel to post to through AWS Chatbot.
   *
   * @default - no Slack channel
   */
  readonly slack?: StepWatchSlackProps;
  /**
   * Customer managed KMS key encrypting the topic. EventBridge and CloudWatch cannot publish to a topic
   * encrypted with the AWS managed `alias/aws/sns` key, so a customer managed key is always used.
   *
   * @default - a new key with rotation enabled
   */
  readonly topicKey?: kms.IKey;
  /**
   * Least time between two messages about one run with child executions (rate control,
   * multi-account): its first failure goes out at once, then at most one update per interval (counts by
   * status, the latest failures) and a final summary when the run ends. Whole seconds, from 1 minute
   * to 1 day.
   *
   * @default Duration.minutes(15)
   */
  readonly digestInterval?: Duration;
  /**
   * One message per failure-like event of every execution, children included, instead of one digest
   * per run with child executions.
   *
   * @default false
   */
  readonly perChildMessages?: boolean;
}
