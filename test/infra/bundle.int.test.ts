// The Lambda bundle `cdk synth` produces is the one that runs: load it from the cloud assembly and poll the sandbox.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import { parseScenario } from '../../sandbox/scenario';
import { execution, sequentialSteps, transitionsOf } from '../helpers/harness';
import { schemaErrors } from '../helpers/schemas';
import { createInfraFixture, type InfraFixture } from './fixture';

type BundledHandler = (event: unknown, context: Context) => Promise<{ eventsEmitted: number; shard: string }>;

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
});
