// StepWatchHintForwarder: sends SSM's own Automation events of a member account or region to the poller's hint bus.
import { CfnOutput, Fn, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { DEFAULT_MEMBER_ROLE_NAME } from '../lambda/core/defaults';
import { NATIVE_DETAIL_TYPES, NATIVE_SOURCE } from '../lambda/core/hints';
import { StepWatchConfigError } from './errors';
import { hintForwarderRoleName, hintForwarderRolePrefix } from './organization';
import { DEFAULT_HINT_BUS_NAME } from './resolved-props';

/** Props of {@link StepWatchHintForwarder}: where the StepWatch runs. */
export interface StepWatchHintForwarderProps {
  /** The account of the StepWatch (12 digits). */
  readonly pollerAccount: string;
  /** The region of the StepWatch. */
  readonly pollerRegion: string;
  /**
   * The StepWatch's hint bus (its `hintBusName`).
   *
   * @default 'ssm-step-watch-hints'
   */
  readonly pollerHintBusName?: string;
  /**
   * The StepWatch's `organization.memberRoleName`, when it sets one: its hint bus admits only roles
   * named `<memberRoleName>-hints-*` (the name cut to 42 characters), so the forwarder's role is
   * named after it.
   *
   * @default 'ssm-step-watch-reader'
   */
  readonly memberRoleName?: string;
  /**
   * Name of the forwarder's role (IAM names are unique in an account). Give one when two forwarders
   * share an account, for two StepWatches watching the same member (staging and prod, say): it must
   * begin with `<memberRoleName>-hints-`, the only names the hint bus admits, and should end with
   * the region, since the forwarders of other regions of the account need names of their own.
   *
   * @default '<memberRoleName>-hints-<region>'
   */
  readonly roleName?: string;
}

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const EVENT_BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const KNOWN_REGIONS: ReadonlySet<string> = new Set(RegionInfo.regions.map((region) => region.name));

/**
 * Deployed in each member account or region a StepWatch polls as a shard (beside the reader role):
 * a rule on the local default bus matching SSM's two Automation status-change detail types of this
 * account and region only, whose target is the poller's hint bus in the poller's region, sent with a
 * role that may only put events there. The role is named `<memberRoleName>-hints-<region>` unless
 * `roleName` says otherwise: the hint bus's policy admits roles named `<memberRoleName>-hints-*` in
 * the watched accounts, and no one else.
 *
 * Forwarded events are charged as custom events by EventBridge (about $1 per million).
 *
 * @example
 * new StepWatchHintForwarder(memberStack, 'Hints', { pollerAccount: '111122223333', pollerRegion: 'eu-west-1' });
 * // A second StepWatch watching the same account and region:
 * new StepWatchHintForwarder(memberStack, 'StagingHints', {
 *   pollerAccount: '444455556666',
 *   pollerRegion: 'eu-west-1',
 *   roleName: 'ssm-step-watch-reader-hints-staging-eu-west-1',
 * });
 */
export class StepWatchHintForwarder extends Construct {
  /** The rule on this account's default bus. */
  public readonly rule: events.Rule;
  /** The role EventBridge uses to put the events on the poller's bus. */
  public readonly role: iam.Role;
  /** The poller's hint bus (imported). */
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
    const hintBusName = props.pollerHintBusName ?? DEFAULT_HINT_BUS_NAME;
    if (
      !Token.isUnresolved(hintBusName) &&
      (!EVENT_BUS_NAME.test(hintBusName) || hintBusName === 'default')
    ) {
      throw new StepWatchConfigError(
        `pollerHintBusName must be the StepWatch's hint bus name (its hintBusName, never 'default'); got ${JSON.stringify(hintBusName)}.`,
      );
    }
    const memberRoleName = props.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME;
    if (!Token.isUnresolved(memberRoleName) && !ROLE_NAME.test(memberRoleName)) {
      throw new StepWatchConfigError(
        `memberRoleName must be the StepWatch's organization.memberRoleName (an IAM role name); got ${JSON.stringify(memberRoleName)}.`,
      );
    }
    const prefix = hintForwarderRolePrefix(memberRoleName);
    const { roleName } = props;
    if (
      roleName !== undefined &&
      !Token.isUnresolved(roleName) &&
      !Token.isUnresolved(prefix) &&
      !(ROLE_NAME.test(roleName) && roleName.startsWith(prefix) && roleName.length > prefix.length)
    ) {
      throw new StepWatchConfigError(
        `roleName must be an IAM role name of at most 64 characters beginning with '${prefix}' (the names the hint bus admits); got ${JSON.stringify(roleName)}.`,
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
      `arn:${stack.partition}:events:${pollerRegion}:${pollerAccount}:event-bus/${hintBusName}`,
    );
    this.role = new iam.Role(this, 'Role', {
      roleName: roleName ?? Fn.sub(hintForwarderRoleName(memberRoleName)),
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: "Lets EventBridge forward SSM Automation events to the ssm-step-watch poller's hint bus",
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
      description: "The rule forwarding SSM Automation events to the StepWatch's hint bus",
      value: this.forwarder.rule.ruleArn,
    });
  }
}
