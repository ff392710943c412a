// The CLI in a child process against the local stack: poll, table create, local, and its errors.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSnapshotStore } from '../../lambda/adapters/dynamodb/snapshot-store';
import { type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import { parseScenario } from '../../sandbox/scenario';
import { runCli } from '../helpers/cli';
import { execution, sequentialSteps, step, transitionsOf } from '../helpers/harness';

const credentials = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

describe('Command: step-watch poll', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      scenario: parseScenario({
        name: 'cli',
        executions: [
          execution(
            1,
            [
              [0, 'InProgress'],
              [4, 'Success'],
            ],
            sequentialSteps(1, 2, 0, 2),
          ),
          execution(
            2,
            [[0, 'InProgress']],
            [
              step(9, [
                [0, 'InProgress'],
                [1, 'Failed'],
              ]),
            ],
          ),
        ],
      }),
      startEpochMs: Date.now() - 10_000,
      tableName: 'cli-table',
    });
  });
  afterAll(() => stack.stop());

  it('runs one cycle over the endpoint variables and prints a JSON summary last', async () => {
    // Act
    const result = await runCli(
      ['poll', '--table', 'cli-table', '--bus', 'ops', '--account', '111122223333'],
      {
        ...credentials,
        ...stack.env,
      },
    );

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary).toMatchObject({
      executionsSeen: 2,
      stepsRead: 3,
      eventsEmitted: 5,
      // One PutEvents per execution read: its events go out as soon as it is read.
      apiCalls: { DescribeAutomationExecutions: 2, DescribeAutomationStepExecutions: 2, PutEvents: 2 },
    });
    expect(transitionsOf(stack.recorder.events()).sort()).toEqual(
      [
        'execution:0001:null>Success',
        'execution:0002:null>InProgress',
        'step:0001:null>Success',
        'step:0002:null>Success',
        'step:0009:null>Failed',
      ].sort(),
    );
    expect(stack.recorder.events().every((e) => e.eventBusName === 'ops')).toBe(true);
  });

  it('stands down with one line while another poller holds the shard lease', async () => {
    // Prepare: a lease held for another minute, as a running Lambda would hold it.
    const store = new DynamoSnapshotStore({ tableName: 'cli-table', client: stack.clients.dynamodb });
    const shard = '111122223333#us-east-1';
    const state = await store.loadPollerState(shard);
    const leaseUntil = new Date(Date.now() + 60_000).toISOString();
    expect(await store.savePollerState(shard, { ...state, leaseUntil }, state)).toBe(true);
    const before = stack.recorder.events().length;

    // Act
    const result = await runCli(
      ['poll', '--table', 'cli-table', '--bus', 'ops', '--account', '111122223333'],
      {
        ...credentials,
        ...stack.env,
      },
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `step-watch: poll: another poller holds the lease of shard ${shard} (the deployed Lambda, or another poll); try again in a minute.\n`,
    );
    expect(stack.recorder.events()).toHaveLength(before);
    const after = await store.loadPollerState(shard);
    await store.savePollerState(shard, { ...after, leaseUntil: null }, after);
  });

  it('says in one line that the table is missing', async () => {
    const result = await runCli(['poll', '--table', 'nope', '--bus', 'ops', '--account', '111122223333'], {
      ...credentials,
      ...stack.env,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^step-watch: poll: no table "nope" in us-east-1: --table takes the TableName output of the deployed stack .*`step-watch table create --table nope` makes it\.\n$/,
    );
  });

  it('rejects a bad flag with one line and exit code 2', async () => {
    const result = await runCli(['poll', '--tabel', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^step-watch: poll: Unknown option '--tabel'.*\n$/);
  });

  it('rejects a source that starts with aws.', async () => {
    const result = await runCli(['poll', '--table', 't', '--bus', 'b', '--source', 'aws.ssm']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'step-watch: poll: --source must not start with "aws." (reserved for AWS services), got "aws.ssm".\n',
    );
  });

  it('says in one line that an endpoint cannot be reached', async () => {
    const result = await runCli(['poll', '--table', 't', '--bus', 'b', '--account', '111122223333'], {
      ...credentials,
      AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^step-watch: poll: cannot reach (DynamoDB|SSM) at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\); check --region, AWS_ENDPOINT_URL_(DYNAMODB|SSM) and the network\.\n$/,
    );
  });

  it('rejects an unknown command', async () => {
    const result = await runCli(['polll']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'step-watch: Unknown command "polll". Commands: poll, backfill, table, local, history, executions, notify.\n',
    );
  });
});

describe('Command: step-watch local', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'step-watch-local-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('plays a scenario, prints each event and exits 0', async () => {
    // Prepare
    const file = join(dir, 'short.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'short',
        executions: [
          execution(
            1,
            [
              [0, 'InProgress'],
              [1, 'Success'],
            ],
            [
              step(1, [
                [0, 'InProgress'],
                [1, 'Success'],
              ]),
            ],
          ),
        ],
      }),
    );

    // Act
    const result = await runCli(
      ['local', '--scenario', file, '--interval', '0.5', '--json', '--fresh'],
      {},
      90_000,
    );

    // Assess
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((e) => e['detail-type'])).toContain('Automation Execution Status Change');
    expect(lines.at(-1).detail).toMatchObject({ executionStatus: 'Success', previousStatus: 'InProgress' });
  });

  it('ends quietly with exit 0 when its reader stops early (step-watch local | head -1)', async () => {
    // Prepare: events several seconds apart, so later lines are written after the pipe has closed
    const file = join(dir, 'long.json');
    const timeline: [number, string][] = [
      [0, 'InProgress'],
      [8, 'Success'],
    ];
    await writeFile(
      file,
      JSON.stringify({ name: 'long', executions: [execution(1, timeline, [step(1, timeline)])] }),
    );

    // Act: read the first line, then close the pipe as `head -1` does
    const child = spawn(
      'npx',
      ['tsx', 'bin/step-watch.ts', 'local', '--scenario', file, '--interval', '0.5', '--fresh'],
      {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, STEP_WATCH_LOCAL_DIR: join(dir, 'pipe-data') },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    // Assess
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
  }, 90_000);

  it('rejects a bad scenario file with the bad field named', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ name: 'bad', executions: [execution(1, [[0, '']], [])] }));
    const result = await runCli(['local', '--scenario', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^step-watch: .*executions\[0\]\.timeline\[0\]\.status.*\n$/);
  });
});
