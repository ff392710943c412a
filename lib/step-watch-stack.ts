// The deployable stack: one StepWatch and the outputs an operator needs after `cdk deploy`.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StepWatch, type StepWatchProps } from './step-watch';

/** Props of {@link StepWatchStack}: the stack's own props plus every {@link StepWatchProps} field. */
export interface StepWatchStackProps extends StackProps, StepWatchProps {}

/** A stack holding one {@link StepWatch}, with its table, bus and topic as outputs. */
export class StepWatchStack extends Stack {
  /** The poller and everything around it. */
  public readonly stepWatch: StepWatch;

  constructor(scope: Construct, id: string, props: StepWatchStackProps = {}) {
    super(scope, id, props);
    this.stepWatch = new StepWatch(this, 'StepWatch', props);

    new CfnOutput(this, 'TableName', {
      description: 'DynamoDB table: snapshots and the audit trail (step-watch history --table)',
      value: this.stepWatch.table.tableName,
    });
    new CfnOutput(this, 'EventBusName', {
      description: 'Event bus the transitions are published to',
      value: this.stepWatch.bus.eventBusName,
    });
    new CfnOutput(this, 'FunctionName', {
      description: 'The poller function',
      value: this.stepWatch.function.functionName,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Failed schedule ticks, polls and notifications',
      value: this.stepWatch.deadLetterQueue.queueUrl,
    });
    if (this.stepWatch.fanOut) {
      new CfnOutput(this, 'WorkDeadLetterQueueUrl', {
        description: 'Work items (one shard, one period) that failed five times',
        value: this.stepWatch.fanOut.deadLetterQueue.queueUrl,
      });
    }
    if (this.stepWatch.hints) {
      new CfnOutput(this, 'HintDeadLetterQueueUrl', {
        description: 'Hints that failed five times (the schedule still reads their executions)',
        value: this.stepWatch.hints.deadLetterQueue.queueUrl,
      });
    }
    if (this.stepWatch.topic) {
      new CfnOutput(this, 'TopicArn', {
        description: 'SNS topic of notifications and alarms',
        value: this.stepWatch.topic.topicArn,
      });
    }
  }
}
