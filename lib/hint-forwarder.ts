// StepWatchHintForwarder: sends SSM's own Automation events of a member account or region to the poller's default bus.
import { CfnOutput, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { NATIVE_DETAIL_TYPES, NATIVE_SOURCE } from '../lambda/core/hints';
import { StepWatchConfigError } from './errors';

/** Props of {@link StepWatchHintForwarder}: where the StepWatch runs. */
export interface StepWatchHintForwarderProps {
  /** The account of the StepWatch (12 digits). */
  readonly pollerAccount: string;
  /** The region of the StepWatch. */
  readonly pollerRegion: string;
}

const ACCOUNT_ID = /^\d{12}$/;
const KNOWN_REGIONS: ReadonlySet<string> = new Set(RegionInfo.regions.map((region) => region.name));

/**
 * Deployed in each member account or region a StepWatch polls as a shard (beside the reader role):
 * a rule on the local default bus matching SSM's two Automation status-change detail types of this
 * account and region only, whose target is the poller's default bus in the poller's region, sent
 * with a role that may only put events there. The StepWatch's own hint rule picks them up; for
 * another account, the StepWatch's bus policy lets the account put SSM Automation events.
 *
 * Forwarded events are charged as custom events by EventBridge (about $1 per million).
 *
 * @example
 * new StepWatchHintForwarder(memberStack, 'Hints', { pollerAccount: '111122223333', pollerRegion: 'eu-west-1' });
 */
export class StepWatchHintForwarder extends Construct {
  /** The rule on this account's default bus. */
  public readonly rule: events.Rule;
  /** The role EventBridge uses to put the events on the poller's bus. */
  public readonly role: iam.Role;
  /** The poller's default bus (imported). */
  public readonly pollerBus: events.IEventBus;

  constructor(scope: Construct, id: string, props: StepWatchHintForwarderProps) {
    super(scope, id);
    const { pollerAccount, pollerRegion } = props;
    if (!Token.isUnresolved(pollerAccount) && !ACCOUNT_ID.test(pollerAccount)) {
      throw new StepWatchConfigError(
        `pollerAccount must be the 12-digit account id of the StepWatch; got ${JSON.stringify(pollerAccount)}.`,
      );
    }
    if (!Token.isUnresolved(pollerRegion) && !KNOWN_REGIONS.has(pollerRegion)) {
      throw new StepWatchConfigError(
        `pollerRegion must be a known AWS region such as 'us-east-1'; got ${JSON.stringify(pollerRegion)}.`,
      );
    }
    const stack = Stack.of(this);
    if (stack.account === pollerAccount && stack.region === pollerRegion) {
      throw new StepWatchConfigError(
        `StepWatchHintForwarder must be deployed outside the StepWatch's own account and region (its hint rule reads that bus already); got ${pollerAccount} ${pollerRegion}.`,
      );
    }

    this.pollerBus = events.EventBus.fromEventBusArn(
      this,
      'PollerBus',
      `arn:${stack.partition}:events:${pollerRegion}:${pollerAccount}:event-bus/default`,
    );
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description:
        "Lets EventBridge forward SSM Automation events to the ssm-step-watch poller's default bus",
    });
    this.rule = new events.Rule(this, 'Rule', {
      description:
        'SSM Automation status changes of this account and region, forwarded to ssm-step-watch as hints',
      // Only events that happened here: forwarded events keep their account and region, so a
      // forwarder never sends on what another forwarder sent it.
      eventPattern: {
        source: [NATIVE_SOURCE],
        detailType: Object.values(NATIVE_DETAIL_TYPES),
        account: [stack.account],
        region: [stack.region],
      },
    });
    // The target grants the role events:PutEvents on the poller's bus and nothing else.
    this.rule.addTarget(new targets.EventBus(this.pollerBus, { role: this.role }));
  }
}

/** Props of {@link StepWatchHintForwarderStack}. */
export interface StepWatchHintForwarderStackProps extends StackProps, StepWatchHintForwarderProps {}

/** A stack holding one {@link StepWatchHintForwarder}, for `cdk deploy -c hintForwarderFor=<account>:<region>`. */
export class StepWatchHintForwarderStack extends Stack {
  /** The forwarder. */
  public readonly forwarder: StepWatchHintForwarder;

  constructor(scope: Construct, id: string, props: StepWatchHintForwarderStackProps) {
    super(scope, id, props);
    this.forwarder = new StepWatchHintForwarder(this, 'HintForwarder', props);
    new CfnOutput(this, 'RuleArn', {
      description: "The rule forwarding SSM Automation events to the StepWatch's default bus",
      value: this.forwarder.rule.ruleArn,
    });
  }
}
