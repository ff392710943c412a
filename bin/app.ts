// The CDK app: reads context, instantiates the StepWatch stack (or a hint forwarder) and runs the cdk-nag AwsSolutions checks at synth.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type ContextReader, hintForwarderFromContext, stepWatchPropsFromContext } from '../lib/context';
import { StepWatchConfigError } from '../lib/errors';
import { StepWatchHintForwarderStack } from '../lib/hint-forwarder';
import { StepWatchStack } from '../lib/step-watch-stack';

const app = new App();
try {
  const read: ContextReader = (key) => app.node.tryGetContext(key);
  // Both are unset without credentials, which keeps `cdk synth` working offline (environment-agnostic).
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const forwarder = hintForwarderFromContext(read);
  if (forwarder) {
    // A member account or region of a StepWatch: only the forwarder of SSM's events goes there.
    new StepWatchHintForwarderStack(app, forwarder.stackName, {
      pollerAccount: forwarder.pollerAccount,
      pollerRegion: forwarder.pollerRegion,
      description: "ssm-step-watch: forwards SSM Automation events to the poller's default bus as hints",
      env,
    });
  } else {
    const { stackName, props } = stepWatchPropsFromContext(read);
    new StepWatchStack(app, stackName, {
      ...props,
      description: 'ssm-step-watch: EventBridge events for every SSM Automation step transition',
      env,
    });
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (error) {
  // A bad context value is the operator's to fix: one line, no stack trace.
  if (!(error instanceof StepWatchConfigError)) throw error;
  console.error(`ssm-step-watch: ${error.message}`);
  process.exitCode = 1;
}
