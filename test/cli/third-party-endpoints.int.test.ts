// `step-watch poll` against DynamoDB and EventBridge endpoints this project did not write (moto).
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import { parseScenario } from '../../sandbox/scenario';
import { runCli } from '../helpers/cli';
import { execution, sequentialSteps, step } from '../helpers/harness';
import { type Moto, motoMissing, skipWithoutMoto, startMoto } from '../helpers/moto';
import { schemaErrors } from '../helpers/schemas';

const credentials = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
};
const clientConfig = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
};

describe('Command: step-watch poll against third-party endpoints', () => {
  let moto: Moto;
  let stack: LocalStack;
  let queueUrl: string;
  let sqs: SQSClient;
  /** The simulator's clock, in seconds into the scenario: the test sets it before each poll. */
  let scenarioSecond = 0;

  beforeAll(async () => {
    if (motoMissing()) return; // the test below says why it is skipped, or fails in CI
    moto = await startMoto();
    // Only SSM Automation comes from our simulator: moto implements no DescribeAutomation* API.
    const startEpochMs = Date.now();
    stack = await startLocalStack({
      scenario: parseScenario({
        name: 'third-party',
        executions: [
          // The first poll sees both runs in progress; the second, at 30 s, sees run 2 failed and run 1 on.
          execution(
            1,
            [
              [0, 'InProgress'],
              [180, 'Success'],
            ],
            sequentialSteps(11, 3, 0, 60),
          ),
          execution(
            2,
            [
              [0, 'InProgress'],
              [9, 'Failed'],
            ],
            [
              step(7, [
                [0, 'InProgress'],
                [9, 'Failed'],
              ]),
            ],
          ),
        ],
      }),
      startEpochMs,
      // A clock of the test's, not the wall's: how long the CLI takes to start cannot move the polls.
      clock: () => startEpochMs + scenarioSecond * 1000,
    });
    const events = new EventBridgeClient({ ...clientConfig, endpoint: moto.endpoint });
    sqs = new SQSClient({ ...clientConfig, endpoint: moto.endpoint });
    await events.send(new CreateEventBusCommand({ Name: 'ops' }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'step-events' }))).QueueUrl ?? '';
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await events.send(
      new PutRuleCommand({
        Name: 'all-steps',
        EventBusName: 'ops',
        EventPattern: JSON.stringify({ source: ['ssm-step-watch'] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'all-steps',
        EventBusName: 'ops',
        Targets: [{ Id: 'q', Arn: Attributes?.QueueArn }],
      }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    moto?.stop();
  });

  it('emits exactly the transitions the endpoints show, in the contract', async ({ skip }) => {
    skipWithoutMoto(skip);
    // Prepare
    const env = {
      ...credentials,
      AWS_ENDPOINT_URL_SSM: stack.env.AWS_ENDPOINT_URL_SSM ?? '',
      AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: moto.endpoint,
    };
    const create = await runCli(['table', 'create', '--table', 'moto-table'], env);
    expect(create.stdout).toBe('created: moto-table\n');

    // Act: one poll while both runs are in progress, one after run 2 has failed.
    scenarioSecond = 5;
    const first = await runCli(
      ['poll', '--table', 'moto-table', '--bus', 'ops', '--account', '111122223333'],
      env,
    );
    scenarioSecond = 30;
    const second = await runCli(
      ['poll', '--table', 'moto-table', '--bus', 'ops', '--account', '111122223333'],
      env,
    );

    // Assess
    expect([first.code, first.stderr, second.code, second.stderr]).toEqual([0, '', 0, '']);
    const bodies: {
      'detail-type': string;
      source: string;
      resources: string[];
      detail: Record<string, unknown>;
    }[] = [];
    for (let i = 0; i < 10; i++) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
      );
      if (!Messages?.length) break;
      bodies.push(...Messages.map((m) => JSON.parse(m.Body ?? '{}')));
    }
    const seen = bodies.map((b) => {
      const d = b.detail as { executionId: string; executionStatus: string; previousStatus?: string | null };
      const s = b.detail.step as
        | { stepExecutionId: string; previousStatus: string | null; status: string }
        | undefined;
      return s
        ? `${s.stepExecutionId.slice(-4)}:${s.previousStatus}>${s.status}`
        : `${d.executionId.slice(-4)}:${d.previousStatus}>${d.executionStatus}`;
    });
    expect(seen.sort()).toEqual(
      [
        '0001:null>InProgress',
        '0011:null>InProgress',
        '0002:null>InProgress',
        '0007:null>InProgress',
        '0007:InProgress>Failed',
        '0002:InProgress>Failed',
      ].sort(),
    );
    expect(bodies.every((b) => b.source === 'ssm-step-watch')).toBe(true);
    expect(bodies.flatMap((b) => schemaErrors(b['detail-type'], b.detail))).toEqual([]);
    expect(bodies[0]?.resources[0]).toMatch(/^arn:aws:ssm:us-east-1:111122223333:automation-execution\//);
  });
});
