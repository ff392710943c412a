// The CDK app: reads context, instantiates the StepWatch stack (or a hint forwarder) and runs the cdk-nag AwsSolutions checks at synth.
import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  type ContextReader,
  checkContextKeys,
  contextErrorOf,
  hintForwarderFromContext,
  stepWatchPropsFromContext,
} from '../lib/context';
import { StepWatchConfigError } from '../lib/errors';
import { StepWatchHintForwarderStack } from '../lib/hint-forwarder';
import { StepWatchStack } from '../lib/step-watch-stack';

// Synthesized once, below: the CLI's default (synth on exit) would also write a half-built app after a bad value.
const app = new App({ autoSynth: false });
try {
  const read: ContextReader = (key) => app.node.tryGetContext(key);
  checkContextKeys(Object.keys(app.node.getAllContext()));
  // Both are unset without credentials, which keeps `cdk synth` working offline (environment-agnostic).
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const forwarder = hintForwarderFromContext(read);
  if (forwarder) {
    // A member account or region of a StepWatch: only the forwarder of SSM's events goes there.
    new StepWatchHintForwarderStack(app, forwarder.stackName, {
      pollerAccount: forwarder.pollerAccount,
      pollerRegion: forwarder.pollerRegion,
      pollerHintBusName: forwarder.pollerHintBusName,
      memberRoleName: forwarder.memberRoleName,
      description: "ssm-step-watch: forwards SSM Automation events to the poller's hint bus as hints",
      env,
    });
  } else {
    const { stackName, props } = stepWatchPropsFromContext(read);
    const stack = newStack(
      () =>
        new StepWatchStack(app, stackName, {
          ...props,
          description: 'ssm-step-watch: EventBridge events for every SSM Automation step transition',
          env,
        }),
    );
    if (props.notifications === undefined) {
      const count = Object.values(stack.stepWatch.alarms).filter((alarm) => alarm !== undefined).length;
      // Info, not a warning: no notifications is a valid choice, but the alarms then page no one.
      Annotations.of(stack).addInfo(
        `ssm-step-watch: the ${count} alarms have no actions while notifications are off; -c notificationEmails=… or -c slackWorkspaceId=… -c slackChannelId=… routes them (docs/operations.md).`,
      );
    }
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (error) {
  // A bad context value is the operator's to fix: one line, no stack trace.
  if (!(error instanceof StepWatchConfigError)) throw error;
  console.error(`ssm-step-watch: ${error.message}`);
  process.exitCode = 1;
}

/** Builds the stack; the construct's validation errors name the context key the value came from. */
function newStack(build: () => StepWatchStack): StepWatchStack {
  try {
    return build();
  } catch (error) {
    throw error instanceof StepWatchConfigError ? contextErrorOf(error) : error;
  }
}
