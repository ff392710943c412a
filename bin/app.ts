// The CDK app: reads context, instantiates the StepWatch stack and runs the cdk-nag AwsSolutions checks at synth.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stepWatchPropsFromContext } from '../lib/context';
import { StepWatchConfigError } from '../lib/errors';
import { StepWatchStack } from '../lib/step-watch-stack';

const app = new App();
try {
  const { stackName, props } = stepWatchPropsFromContext((key) => app.node.tryGetContext(key));
  new StepWatchStack(app, stackName, {
    ...props,
    description: 'ssm-step-watch: EventBridge events for every SSM Automation step transition',
    // Both are unset without credentials, which keeps `cdk synth` working offline (environment-agnostic).
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (error) {
  // A bad context value is the operator's to fix: one line, no stack trace.
  if (!(error instanceof StepWatchConfigError)) throw error;
  console.error(`ssm-step-watch: ${error.message}`);
  process.exitCode = 1;
}
