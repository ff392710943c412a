// `step-watch poll --since` in a child process against the local stack: how far back a shard's first cycle lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import { sequentialRun } from '../../sandbox/sequential-runbook';
import { idFromSeed } from '../../sandbox/ssm-behaviour';
import { runCli } from '../helpers/cli';

const credentials = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

describe('Command: step-watch poll --since', () => {
  const executionId = idFromSeed('poll-since/old');
  let stack: LocalStack;
  let env: Record<string, string>;
  beforeAll(async () => {
    // A run of three 10 s steps that ended about two hours ago, before the default 15 minutes.
    const run = sequentialRun({ executionId, steps: 3, stepSeconds: 10 });
    stack = await startLocalStack({
      scenario: { name: 'old', executions: [run] },
      startEpochMs: Date.now() - 2 * 3_600_000,
      tableName: 'since-table',
    });
    env = { ...credentials, ...stack.env };
  });
  afterAll(() => stack.stop());

  const poll = (...extra: string[]) =>
    runCli(['poll', '--table', 'since-table', '--bus', 'ops', '--account', '111122223333', ...extra], env);
  const eventsOf = () =>
    stack.recorder
      .events()
      .map((e) => e.detail as { executionId: string; executionStatus: string; step: unknown })
      .filter((d) => d.executionId === executionId);

  it('lists what started since then in the first cycle of a shard, once', async () => {
    // Act: a first poll that looks back 3 hours; then again, when the shard has its watermark.
    const first = await poll('--since', '3h');
    const afterFirst = eventsOf().length;
    const second = await poll('--since', '3h');

    // Assess: the run's execution and its three steps, once.
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    expect(
      eventsOf()
        .filter((d) => !d.step)
        .map((d) => d.executionStatus),
    ).toContain('Success');
    expect(eventsOf().filter((d) => d.step).length).toBeGreaterThanOrEqual(3);
    expect(second.code).toBe(0);
    expect(eventsOf()).toHaveLength(afterFirst);
  });

  it('rejects a --since beyond what SSM remembers with one line and the usage exit code', async () => {
    const result = await poll('--since', '40d');

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'step-watch: poll: --since must be at most 30 days back (SSM keeps Automation history 30 days) and not in the future; got "40d".\n',
    );
    expect(result.stdout).toBe('');
  });
});
