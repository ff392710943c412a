// The hint path of a StepWatch: a rule for SSM's own Automation events, an encrypted queue and the function that reads the executions they name.
import { Duration, Names, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { NATIVE_DETAIL_TYPES, NATIVE_SOURCE } from '../lambda/core/hints';
import { bundledFunction, pollerEnvironment, shardSource } from './bundled-function';
import { grantPollerPermissions, type PollerResources } from './poller-policy';

/** Timeout of the hint function: a targeted cycle reads a few executions; the lease lasts this long at most. */
const HINT_FUNCTION_TIMEOUT = Duration.seconds(30);
/** Receives of one hint before it goes to the dead-letter queue. */
const HINT_MAX_RECEIVE_COUNT = 5;
/** Above this many other accounts, the hint bus policy names them in a condition rather than as principals. */
const MAX_HINT_PRINCIPALS = 20;

/** The resources of `hints`: rule, queue, dead-letter queue and the function that reads them. */
export interface StepWatchHints {
  /** The rule on the default bus matching SSM's two Automation status-change detail types. */
  readonly rule: events.Rule;
  /** The encrypted queue the rule feeds. */
  readonly queue: sqs.Queue;
  /** Hints that failed five times, and hints the rule could not deliver. */
  readonly deadLetterQueue: sqs.Queue;
  /** The function that reads the hinted executions. */
  readonly function: nodejs.NodejsFunction;
  /** Its log group. */
  readonly logGroup: logs.LogGroup;
}

/** What {@link StepWatchHintReader} needs from the surrounding StepWatch: its settings, table and bus. */
export interface StepWatchHintReaderProps extends PollerResources {}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/**
 * The hint path: a rule on the default bus for SSM's own Automation events of the polled shards,
 * an encrypted queue with its own dead-letter queue, and a function reading the hinted executions.
 *
 * Its resources are created directly in `scope` (the StepWatch), with the ids they have always had,
 * so their logical ids do not depend on this class; build one per StepWatch.
 *
 * @example
 * ```ts
 * const hints = new StepWatchHintReader(this, { settings, table, bus });
 * ```
 */
export class StepWatchHintReader implements StepWatchHints {
  /** The rule on the default bus matching SSM's two Automation status-change detail types. */
  public readonly rule: events.Rule;
  /** The encrypted queue the rule feeds. */
  public readonly queue: sqs.Queue;
  /** Hints that failed five times, and hints the rule could not deliver. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The function that reads the hinted executions. */
  public readonly function: nodejs.NodejsFunction;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;

  private readonly scope: Construct;

  constructor(scope: Construct, props: StepWatchHintReaderProps) {
    this.scope = scope;
    const { settings } = props;
    const stack = Stack.of(scope);
    const deadLetterQueue = new sqs.Queue(scope, 'HintDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const queue = new sqs.Queue(scope, 'HintQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance for SQS event sources: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(6 * HINT_FUNCTION_TIMEOUT.toSeconds()),
      // A hint older than this is worth nothing: the schedule has read its execution long since.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: HINT_MAX_RECEIVE_COUNT },
    });

    // The shards' accounts and regions: SSM's own events, and those forwarded from other shards. An
    // organization's accounts are found at run time; its bus policy admits only its own accounts.
    const shardAccounts = settings.organization
      ? undefined
      : unique(settings.shards.map((shard) => shard.account ?? stack.account));
    const shardRegions = settings.organization
      ? [...settings.organization.regions]
      : unique(settings.shards.map((shard) => shard.region ?? stack.region));
    const rule = new events.Rule(scope, 'HintRule', {
      description: 'SSM Automation status changes of the polled shards, as hints for ssm-step-watch',
      eventPattern: {
        source: [NATIVE_SOURCE],
        detailType: Object.values(NATIVE_DETAIL_TYPES),
        ...(shardAccounts && { account: shardAccounts }),
        region: shardRegions,
      },
    });
    // The target adds a queue policy that lets events.amazonaws.com send from this rule only.
    rule.addTarget(
      new targets.SqsQueue(queue, {
        deadLetterQueue,
        maxEventAge: Duration.minutes(5),
        retryAttempts: 3,
      }),
    );

    const otherAccounts = unique(
      settings.shards.flatMap((shard) =>
        shard.account !== undefined && shard.account !== stack.account ? [shard.account] : [],
      ),
    );
    if (otherAccounts.length > 0) this.allowForwardedHints(otherAccounts);

    const shards = shardSource(scope, settings);
    const logGroup = new logs.LogGroup(scope, 'HintFunctionLogs', { retention: settings.logRetention });
    const role = new iam.Role(scope, 'HintFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'ssm-step-watch hint reader: SSM Describe calls, its table, its bus, its queue, its log group',
    });
    const fn = bundledFunction(scope, 'HintFunction', {
      handlerFile: 'hints',
      handler: 'hintHandler',
      description: "Reads the SSM Automation executions SSM's own events name, within seconds",
      memorySize: 256,
      timeout: HINT_FUNCTION_TIMEOUT,
      role,
      logGroup,
      environment: {
        ...pollerEnvironment(settings, props.table, props.bus),
        SCHEDULE_PERIOD_SECONDS: String(settings.period.toSeconds()),
        ...(!settings.ownShardOnly && shards.environment),
      },
      commandHooks: shards.commandHooks,
    });
    grantPollerPermissions(role, logGroup, props);
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: 100,
        // Gathers a burst of events into one batch, so one read serves them all.
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        // The lease lets one cycle per shard write at a time; two readers are plenty. No reserved
        // concurrency: below five it throttles the queue's pollers, and throttled receives count
        // toward the dead-letter queue.
        maxConcurrency: 2,
      }),
    );
    this.rule = rule;
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    this.function = fn;
    this.logGroup = logGroup;
  }

  /**
   * Lets every account of the organization forward SSM's Automation events to this account's default
   * bus: one statement on the organization id, so the policy does not grow with the accounts.
   */
  public allowOrganizationHints(organizationId: string): void {
    const stack = Stack.of(this.scope);
    new events.CfnEventBusPolicy(this.scope, 'HintBusPolicy', {
      eventBusName: 'default',
      statementId: `ssm-step-watch-hints-${Names.uniqueId(this.scope)}`.slice(0, 64),
      statement: {
        Sid: 'StepWatchHintsFromOrganization',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' }),
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': organizationId },
          'ForAllValues:StringEquals': {
            'events:source': [NATIVE_SOURCE],
            'events:detail-type': Object.values(NATIVE_DETAIL_TYPES),
          },
        },
      },
    });
  }

  /** Lets the shards' other accounts forward SSM's Automation events to this account's default bus. */
  private allowForwardedHints(accounts: readonly string[]): void {
    const stack = Stack.of(this.scope);
    // Many accounts: their ids in a condition (15 characters each) rather than one principal ARN
    // each (about 45), so that hundreds of accounts stay within the bus policy's size.
    const many = accounts.length > MAX_HINT_PRINCIPALS;
    const statement = new iam.PolicyStatement({
      sid: 'StepWatchHintsFromShardAccounts',
      principals: many
        ? [new iam.AnyPrincipal()]
        : accounts.map((account) => new iam.AccountPrincipal(account)),
      actions: ['events:PutEvents'],
      resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
      conditions: {
        ...(many && { StringEquals: { 'aws:PrincipalAccount': [...accounts] } }),
        'ForAllValues:StringEquals': {
          'events:source': [NATIVE_SOURCE],
          'events:detail-type': Object.values(NATIVE_DETAIL_TYPES),
        },
      },
    });
    // The L2 EventBusPolicy would put the statement object itself into the template; the L1 takes its JSON.
    new events.CfnEventBusPolicy(this.scope, 'HintBusPolicy', {
      eventBusName: 'default',
      statementId: `ssm-step-watch-hints-${Names.uniqueId(this.scope)}`.slice(0, 64),
      statement: statement.toStatementJson(),
    });
  }
}
