// Tests of the container's Powertools: one logger and metrics for every invocation, so only the first reports a cold start.
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../lambda/handlers/poll';
import { powertools, startInvocation } from '../../lambda/runtime/powertools';
import { captureStdio } from '../helpers/stdio';

const context = {
  functionName: 'step-watch-poller',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:step-watch-poller',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('Function: startInvocation', () => {
  let output: string[] = [];

  beforeEach(() => {
    output = [];
    // Powertools marks cold starts only in an on-demand execution environment, as Lambda's.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    // Powertools writes JSON lines to stdout and stderr: kept for the assertions, out of the report.
    captureStdio(output);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  function logged(message: string): Record<string, unknown>[] {
    return output
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === message);
  }

  it('reports a cold start on the first invocation of a warm handler only', async () => {
    // Prepare: a handler whose every invocation fails on its environment and logs it.
    const handler = createHandler({ env: { TABLE_NAME: '', EVENT_BUS_NAME: 'bus' } });

    // Act
    await handler({}, { ...context, awsRequestId: 'request-1' }).catch(() => undefined);
    await handler({}, { ...context, awsRequestId: 'request-2' }).catch(() => undefined);

    // Assess
    expect(
      logged('invalid configuration').map((line) => [line.function_request_id, line.cold_start]),
    ).toEqual([
      ['request-1', true],
      ['request-2', false],
    ]);
  });

  it('hands every invocation the same logger and metrics, without the keys of the last', () => {
    // Prepare
    const first = startInvocation(context, {});
    first.logger.appendKeys({ shard: '123456789012#us-east-1' });

    // Act
    const second = startInvocation({ ...context, awsRequestId: 'request-2' }, {});
    second.logger.info('second invocation');

    // Assess
    expect(second).toBe(first);
    expect(powertools()).toBe(first);
    expect(logged('second invocation')[0]).not.toHaveProperty('shard');
  });
});
