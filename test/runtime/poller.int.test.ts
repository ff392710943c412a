// Over the wire: a shard in another account is read with credentials from STS AssumeRole (moto's STS).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPollCycle } from '../../lambda/cycle/poll-cycle';
import { createPoller } from '../../lambda/runtime/poller';
import { type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import { parseScenario } from '../../sandbox/scenario';
import { type Moto, motoMissing, skipWithoutMoto, startMoto } from '../helpers/moto';

/** An SSM endpoint that records how each request was signed and lists no executions. */
async function startSigningRecorder(): Promise<{ server: Server; endpoint: string; requests: Headers[] }> {
  const requests: Headers[] = [];
  const server = createServer((req, res) => {
    requests.push(new Headers(req.headers as Record<string, string>));
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ AutomationExecutionMetadataList: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('Function: createPoller for a shard in another account', () => {
  let moto: Moto;
  let stack: LocalStack;
  let ssm: Awaited<ReturnType<typeof startSigningRecorder>>;
  const saved = { ...process.env };

  beforeAll(async () => {
    if (motoMissing()) return; // the test below says why it is skipped, or fails in CI
    moto = await startMoto();
    ssm = await startSigningRecorder();
    stack = await startLocalStack({ scenario: parseScenario({ name: 'empty', executions: [] }) });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_STS: moto.endpoint,
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'poller-own-key',
      AWS_SECRET_ACCESS_KEY: 'poller-own-secret',
    });
  });

  afterAll(async () => {
    process.env = saved;
    await stack?.stop();
    ssm?.server.close();
    moto?.stop();
  });

  it('signs its SSM calls with the assumed role, in the shard region', async ({ skip }) => {
    skipWithoutMoto(skip);
    // Prepare
    const poller = createPoller(
      {
        tableName: stack.tableName,
        eventBusName: 'bus',
        eventSource: 'ssm-step-watch',
        historyRetentionDays: 30,
        maxEntryBytes: 262_144,
        ssmDescribeTps: 100,
      },
      {
        account: '444455556666',
        region: 'eu-west-1',
        roleArn: 'arn:aws:iam::444455556666:role/StepWatchReader',
      },
      { clients: { dynamodb: stack.clients.dynamodb, eventBridge: stack.clients.eventBridge } },
    );

    // Act
    const summary = await runPollCycle(poller.deps, poller.options);

    // Assess
    expect(summary.executionsSeen).toBe(0);
    expect(ssm.requests.length).toBeGreaterThan(0);
    for (const headers of ssm.requests) {
      const authorization = headers.get('authorization') ?? '';
      expect(authorization).toMatch(/Credential=ASIA[A-Z0-9]+\/\d{8}\/eu-west-1\/ssm\/aws4_request/);
      expect(authorization).not.toContain('poller-own-key');
      expect(headers.get('x-amz-security-token')).toMatch(/\S+/);
    }
    expect(poller.options.shard).toBe('444455556666#eu-west-1');
  });
});
