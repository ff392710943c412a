// Tests of the dispatcher's configuration: every problem of its environment named in one ConfigError.
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import { createDispatcher } from '../../lambda/handlers/dispatcher';

const context = {
  functionName: 'dispatcher',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:999999999999:function:dispatcher',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('Function: createDispatcher', () => {
  it('names every problem of its environment in one ConfigError', async () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const dispatch = createDispatcher({
      env: {
        ORGANIZATION: '{"regions":[]}',
        SHARDS: '[{"account":"1"}]',
        ACCOUNT_CACHE_SECONDS: '-1',
        POLL_PERIOD_SECONDS: 'soon',
      },
    });

    // Act
    const run = dispatch({}, context);

    // Assess
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(
      'Invalid configuration: TABLE_NAME is required; WORK_QUEUE_URL is required; ORGANIZATION.regions must ' +
        'be a non-empty array of region names; ORGANIZATION and SHARDS (or SHARDS_FILE) cannot both be set; SHARDS[0].account ' +
        'must be 12 digits, got "1"; ACCOUNT_CACHE_SECONDS must be a number >= 0, got "-1"; POLL_PERIOD_SECONDS ' +
        'must be a number >= 1, got "soon".',
    );
    vi.unstubAllEnvs();
  });

  it('fails with one ConfigError naming a SHARDS_FILE that is not in the bundle', async () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const dispatch = createDispatcher({
      env: {
        TABLE_NAME: 'table',
        WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/999999999999/work',
        SHARDS_FILE: 'shards.json',
        LAMBDA_TASK_ROOT: '/nonexistent-bundle',
      },
    });

    // Act
    const run = dispatch({}, context);

    // Assess
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(
      'Invalid configuration: SHARDS_FILE names /nonexistent-bundle/shards.json, which cannot be read (ENOENT).',
    );
    vi.unstubAllEnvs();
  });
});
