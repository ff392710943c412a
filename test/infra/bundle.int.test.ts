// The Lambda bundles `cdk synth` produces are the ones that run: load them from the cloud assembly against the sandbox.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import { parseScenario } from '../../sandbox/scenario';
import { execution, idOf, sequentialSteps, transitionsOf } from '../helpers/harness';
import { schemaErrors } from '../helpers/schemas';
import { createInfraFixture, type InfraFixture } from './fixture';

type BundledHandler = (event: unknown, context: Context) => Promise<{ eventsEmitted: number; shard: string }>;
type BundledHintHandler = (
  event: { Records: { messageId: string; body: string }[] },
  context: Context,
) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

const context = {
  functionName: 'step-watch-poller',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:step-watch-poller',
  awsRequestId: 'test-request',
  getRemainingTimeInMillis: () => 50_000,
} as unknown as Context;

describe('Asset: the synthesized Lambda bundle', () => {
  let fixture: InfraFixture<'main'>;
  let stack: LocalStack;
  const saved = { ...process.env };

  beforeAll(async () => {
    fixture = createInfraFixture({ main: {} });
    stack = await startLocalStack({
      scenario: parseScenario({
        name: 'bundle',
        executions: [
          execution(
            1,
            [
              [0, 'InProgress'],
              [3, 'Success'],
            ],
            sequentialSteps(1, 3, 0, 1),
          ),
        ],
      }),
      startEpochMs: Date.now() - 10_000,
      tableName: 'bundle-table',
    });
    Object.assign(process.env, stack.env, {
      TABLE_NAME: 'bundle-table',
      EVENT_BUS_NAME: 'bundle-bus',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
  });

  afterAll(async () => {
    process.env = saved;
    await stack?.stop();
    fixture?.cleanup();
  });

  it('runs a poll cycle against the sandbox from the cloud assembly', async () => {
    // Prepare
    const entry = join(fixture.functionAssetDir('main'), 'index.mjs');
    expect(existsSync(entry)).toBe(true);
    const { handler } = (await import(pathToFileURL(entry).href)) as { handler: BundledHandler };

    // Act
    const result = await handler({}, context);

    // Assess
    expect(result).toMatchObject({ shard: '123456789012#us-east-1', eventsEmitted: 4 });
    expect(transitionsOf(stack.recorder.events())).toEqual([
      'step:0001:null>Success',
      'step:0002:null>Success',
      'step:0003:null>Success',
      'execution:0001:null>Success',
    ]);
    expect(stack.recorder.events().flatMap((e) => schemaErrors(e.detailType, e.detail))).toEqual([]);
  });

  it('runs the hint handler from the cloud assembly: a hint reads its execution by id and sends nothing twice', async () => {
    // Prepare: the poll above has sent everything; SSM's own event about the execution comes late.
    const entry = join(fixture.functionAssetDir('main', 'index.hintHandler'), 'index.mjs');
    const { hintHandler } = (await import(pathToFileURL(entry).href)) as { hintHandler: BundledHintHandler };
    const event = {
      version: '0',
      id: 'native-1',
      'detail-type': 'EC2 Automation Execution Status-change Notification',
      source: 'aws.ssm',
      account: '123456789012',
      time: new Date().toISOString().slice(0, 19).concat('Z'),
      region: 'us-east-1',
      resources: [],
      detail: { ExecutionId: idOf('e', 1), Definition: 'Doc-1', Status: 'Success' },
    };
    const listingsBefore = stack.ssm.callCounts().DescribeAutomationExecutions ?? 0;
    const eventsBefore = stack.recorder.events().length;

    // Act
    const response = await hintHandler(
      {
        Records: [
          { messageId: 'm-1', body: JSON.stringify(event) },
          { messageId: 'm-2', body: 'not an event' },
        ],
      },
      context,
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(stack.ssm.callCounts().DescribeAutomationExecutions).toBe(listingsBefore + 1);
    expect(stack.recorder.events()).toHaveLength(eventsBefore);
  });
});
