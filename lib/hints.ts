// The hint path of a StepWatch: a rule for SSM's own Automation events, an encrypted queue and the function that reads the executions they name.
import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEFAULT_MEMBER_ROLE_NAME } from '../lambda/core/defaults';
import { NATIVE_DETAIL_TYPES, NATIVE_SOURCE } from '../lambda/core/hints';
import { bundledFunction, pollerEnvironment, shardSource } from './bundled-function';
import { busArnOf } from './event-bus';
import { hintForwarderRolePattern } from './organization';
import { grantPollerPermissions, type PollerResources } from './poller-policy';
import type { ResolvedStepWatchProps } from './resolved-props';

/** Timeout of the hint function: a targeted cycle reads a few executions; the lease lasts this long at most. */
const HINT_FUNCTION_TIMEOUT = Duration.seconds(30);
/** Receives of one hint before it goes to the dead-letter queue. */
const HINT_MAX_RECEIVE_COUNT = 5;

/** The resources of `hints`: rules, queue, dead-letter queue and the function that reads them. */
export interface StepWatchHints {
  /** The rule on the default bus matching SSM's two Automation detail types of this account and region. */
  readonly rule: events.Rule;
  /**
   * The bus other accounts' and regions' forwarders send SSM's Automation events to, with
   * `organization` or shards elsewhere; its policy admits only the forwarders' roles.
   *
   * @default - none: every shard is in this account and region
   */
  readonly hintBus?: events.EventBus;
  /**
   * The rule on the hint bus, matching the watched accounts and regions where they are known.
   *
   * @default - none, when there is no `hintBus`
   */
  readonly hintBusRule?: events.Rule;
  /** The encrypted queue the rules feed. */
  readonly queue: sqs.Queue;
  /** Hints that failed five times, and hints the rules could not deliver. */
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
 * Whether some of `values` (the shards' accounts or regions; undefined is the stack's own) differ
 * from the stack's `own`. An environment-agnostic stack's account and region are tokens no literal
 * equals: then only two different values tell for sure (a literal beside another, or beside a shard
 * of the stack's own), since at most one of them is the stack's.
 */
function differ(values: readonly (string | undefined)[], own: string): boolean {
  const known = unique(
    values.filter((value): value is string => value !== undefined && !Token.isUnresolved(value)),
  );
  if (!Token.isUnresolved(own)) return known.some((value) => value !== own);
  return known.length + (values.includes(undefined) ? 1 : 0) > 1;
}

/** Whether any shard is in another account or region, whose SSM events only a forwarder brings. */
function forwardedFromElsewhere(settings: ResolvedStepWatchProps, stack: Stack): boolean {
  if (settings.organization) return true;
  return (
    differ(
      settings.shards.map((shard) => shard.account),
      stack.account,
    ) ||
    differ(
      settings.shards.map((shard) => shard.region),
      stack.region,
    )
  );
}

/** Whether a shard names an account or region an environment-agnostic stack's own cannot be compared with. */
function mayBeElsewhere(settings: ResolvedStepWatchProps, stack: Stack): boolean {
  return settings.shards.some(
    (shard) =>
      (shard.account !== undefined && Token.isUnresolved(stack.account)) ||
      (shard.region !== undefined && Token.isUnresolved(stack.region)),
  );
}

/**
 * The hint path: a rule on the default bus for SSM's own Automation events of this account and
 * region; with `organization` or shards elsewhere, a dedicated hint bus the forwarders send to, whose
 * policy admits only their roles, and a rule on it for the watched accounts and regions; an encrypted
 * queue with its own dead-letter queue, and a function reading the hinted executions. The default
 * bus's policy is never touched.
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
  /** The rule on the default bus matching SSM's two Automation detail types of this account and region. */
  public readonly rule: events.Rule;
  /** The bus other accounts' and regions' forwarders send to, when there are any. */
  public readonly hintBus?: events.EventBus;
  /** The rule on the hint bus. */
  public readonly hintBusRule?: events.Rule;
  /** The encrypted queue the rules feed. */
  public readonly queue: sqs.Queue;
  /** Hints that failed five times, and hints the rules could not deliver. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The function that reads the hinted executions. */
  public readonly function: nodejs.NodejsFunction;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;

  private readonly hintBusPolicy?: iam.PolicyDocument;
  private readonly forwarderRoles: string;

  constructor(scope: Construct, props: StepWatchHintReaderProps) {
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
    // Each target adds a queue policy that lets events.amazonaws.com send from its rule only.
    const target = new targets.SqsQueue(queue, {
      deadLetterQueue,
      maxEventAge: Duration.minutes(5),
      retryAttempts: 3,
    });

    // The default bus holds only this account's and region's own SSM events (nothing forwards to it).
    this.rule = new events.Rule(scope, 'HintRule', {
      description: 'SSM Automation status changes of this account and region, as hints for ssm-step-watch',
      eventPattern: {
        source: [NATIVE_SOURCE],
        detailType: Object.values(NATIVE_DETAIL_TYPES),
        account: [stack.account],
        region: [stack.region],
      },
    });
    this.rule.addTarget(target);

    // The forwarders' roles, by name in any account: `<memberRoleName>-hints-*`, which the StackSet's
    // roles and every StepWatchHintForwarder's (given the same memberRoleName) are named by.
    this.forwarderRoles = stack.formatArn({
      service: 'iam',
      region: '',
      account: '*',
      resource: 'role',
      resourceName: hintForwarderRolePattern(
        settings.organization?.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME,
      ),
    });
    const elsewhere = forwardedFromElsewhere(settings, stack);
    if (!elsewhere && mayBeElsewhere(settings, stack)) {
      Annotations.of(scope).addWarningV2(
        'ssm-step-watch:hint-bus-unknown-environment',
        "The stack's account or region is unknown at synth time, so no hint bus is created for the shard named; if it is in another account or region, give the stack an env, or its forwarder has no bus to send to.",
      );
    }
    if (elsewhere) {
      const hintBus = new events.EventBus(scope, 'HintBus', {
        eventBusName: settings.hintBusName,
        description:
          'SSM Automation events forwarded from the other accounts and regions ssm-step-watch watches',
      });
      this.hintBusPolicy = new iam.PolicyDocument({ statements: this.denyAllButForwarders(hintBus) });
      (hintBus.node.defaultChild as events.CfnEventBus).policy = this.hintBusPolicy;
      this.hintBusRule = new events.Rule(scope, 'HintBusRule', {
        description:
          'SSM Automation status changes forwarded from the watched accounts and regions, as hints',
        eventBus: hintBus,
        eventPattern: {
          source: [NATIVE_SOURCE],
          detailType: Object.values(NATIVE_DETAIL_TYPES),
          ...watchedAccountsAndRegions(settings, stack),
        },
      });
      this.hintBusRule.addTarget(target);
      this.hintBus = hintBus;
      if (!settings.organization) {
        const accounts = unique(settings.shards.map((shard) => shard.account ?? stack.account));
        this.admitForwarders({ StringEquals: { 'aws:PrincipalAccount': accounts } });
      }
    }

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
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    this.function = fn;
    this.logGroup = logGroup;
  }

  /**
   * Admits the forwarders of every account of the organization (the StackSet's roles), by the
   * organization's id: the policy does not grow with the accounts.
   */
  public allowOrganizationHints(organizationId: string): void {
    this.admitForwarders({ StringEquals: { 'aws:PrincipalOrgID': organizationId } });
  }

  /** Allows the forwarders' roles in the accounts `condition` names to put SSM's Automation events. */
  private admitForwarders(condition: Record<string, Record<string, unknown>>): void {
    const { hintBus, hintBusPolicy } = this;
    if (!hintBus || !hintBusPolicy) return;
    hintBusPolicy.addStatements(
      new iam.PolicyStatement({
        sid: 'ForwardersPutSsmEvents',
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [busArnOf(hintBus.node.defaultChild as events.CfnEventBus)],
        conditions: {
          ...condition,
          ArnLike: { 'aws:PrincipalArn': this.forwarderRoles },
          'ForAllValues:StringEquals': {
            'events:source': [NATIVE_SOURCE],
            'events:detail-type': Object.values(NATIVE_DETAIL_TYPES),
          },
        },
      }),
    );
  }

  /**
   * Whatever the identity policies of this account say: no principal but a forwarder's role puts
   * events on the hint bus, and nothing but SSM's events goes on it.
   */
  private denyAllButForwarders(hintBus: events.EventBus): iam.PolicyStatement[] {
    const common = {
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['events:PutEvents'],
      resources: [busArnOf(hintBus.node.defaultChild as events.CfnEventBus)],
    };
    return [
      new iam.PolicyStatement({
        ...common,
        sid: 'OnlyForwarders',
        conditions: { ArnNotLike: { 'aws:PrincipalArn': this.forwarderRoles } },
      }),
      new iam.PolicyStatement({
        ...common,
        sid: 'OnlySsmEvents',
        conditions: { 'ForAnyValue:StringNotEquals': { 'events:source': [NATIVE_SOURCE] } },
      }),
    ];
  }
}

/**
 * The accounts and regions of the hint bus rule: the shards', or the organization's regions and, when
 * it lists them, its accounts (the bus policy keeps everyone else out either way).
 */
function watchedAccountsAndRegions(
  settings: ResolvedStepWatchProps,
  stack: Stack,
): { account?: string[]; region: string[] } {
  const { organization } = settings;
  if (!organization) {
    return {
      account: unique(settings.shards.map((shard) => shard.account ?? stack.account)),
      region: unique(settings.shards.map((shard) => shard.region ?? stack.region)),
    };
  }
  const accounts = organization.accounts?.filter(
    (account) => !organization.excludeAccounts?.includes(account),
  );
  return { ...(accounts && { account: accounts }), region: [...organization.regions] };
}
