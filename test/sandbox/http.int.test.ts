// Tests of the sandbox's JSON-over-HTTP toolkit: body parsing, target headers, AWS JSON 1.1 answers and the local server.
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandbox/errors';
import {
  AMZ_JSON_1_1,
  LocalHttpServer,
  parseJsonBody,
  readBody,
  sendFailure,
  sendJson,
  targetOperation,
  WireError,
} from '../../sandbox/http';

const withTarget = (target: string | undefined): IncomingMessage =>
  ({ headers: target === undefined ? {} : { 'x-amz-target': target } }) as IncomingMessage;

describe('Function: parseJsonBody', () => {
  it('reads an empty body as an empty object', () => {
    expect(parseJsonBody(Buffer.alloc(0))).toEqual({});
  });

  it('returns the object a body holds', () => {
    expect(parseJsonBody(Buffer.from('{"MaxResults":5}'))).toEqual({ MaxResults: 5 });
  });

  it.each([
    ['not JSON', '{', 'Request body is not valid JSON.'],
    ['an array', '[1]', 'Request body must be a JSON object.'],
    ['null', 'null', 'Request body must be a JSON object.'],
  ])('refuses a body that is %s with a 400 SerializationException', (_, body, message) => {
    // Act
    let thrown: unknown;
    try {
      parseJsonBody(Buffer.from(body));
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(WireError);
    expect(thrown).toMatchObject({ status: 400, type: 'SerializationException', message });
  });
});

describe('Function: targetOperation', () => {
  it('returns the operation after the prefix', () => {
    expect(targetOperation(withTarget('AmazonSSM.DescribeAutomationExecutions'), 'AmazonSSM')).toBe(
      'DescribeAutomationExecutions',
    );
  });

  it('returns undefined for another prefix or no header', () => {
    expect(targetOperation(withTarget('AWSEvents.PutEvents'), 'AmazonSSM')).toBeUndefined();
    expect(targetOperation(withTarget('AmazonSSMX.Describe'), 'AmazonSSM')).toBeUndefined();
    expect(targetOperation(withTarget(undefined), 'AmazonSSM')).toBeUndefined();
  });
});

describe('Class: LocalHttpServer', () => {
  const servers: LocalHttpServer[] = [];

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  const echoServer = (limitBytes = 1024): LocalHttpServer => {
    const server = new LocalHttpServer(
      'EchoServer',
      async (req, res) => {
        const body = parseJsonBody(await readBody(req, limitBytes));
        if (body.fail === 'wire') throw new WireError(400, 'ValidationException', 'Bad input.');
        if (body.fail === 'plain') throw new Error('Something broke.');
        sendJson(res, 200, { operation: targetOperation(req, 'Echo') ?? null, body });
      },
      (res, error) => sendFailure(res, error, 'InternalServerError'),
    );
    servers.push(server);
    return server;
  };

  const post = (endpoint: string, body: string): Promise<Response> =>
    fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': AMZ_JSON_1_1, 'X-Amz-Target': 'Echo.Ping' },
      body,
    });

  it('answers with an AWS JSON 1.1 body on 127.0.0.1', async () => {
    // Prepare
    const server = echoServer();
    const endpoint = await server.start();

    // Act
    const response = await post(endpoint, '{"n":1}');

    // Assess
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.endpoint).toBe(endpoint);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(AMZ_JSON_1_1);
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({ operation: 'Ping', body: { n: 1 } });
  });

  it('answers a WireError with its status and __type', async () => {
    const endpoint = await echoServer().start();

    const response = await post(endpoint, '{"fail":"wire"}');

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ __type: 'ValidationException', message: 'Bad input.' });
  });

  it('answers any other failure as a 500 of the type given', async () => {
    const endpoint = await echoServer().start();

    const response = await post(endpoint, '{"fail":"plain"}');

    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ __type: 'InternalServerError', message: 'Something broke.' });
  });

  it('refuses a body over the limit with a 413', async () => {
    const endpoint = await echoServer(8).start();

    const response = await post(endpoint, '{"n":123456789}');

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      __type: 'RequestEntityTooLarge',
      message: 'Request over 8 bytes.',
    });
  });

  it('names itself in the SandboxError of an endpoint read before start or a second start', async () => {
    // Prepare
    const server = echoServer();

    // Act / Assess
    expect(() => server.endpoint).toThrow(new SandboxError('EchoServer is not started; call start() first.'));
    await server.start();
    await expect(server.start()).rejects.toThrow('EchoServer is already started.');
  });

  it('stops with keep-alive connections open and may start again', async () => {
    // Prepare
    const server = echoServer();
    const first = await server.start();
    await (await post(first, '{}')).json();

    // Act
    await server.stop();
    await server.stop();

    // Assess
    expect(() => server.endpoint).toThrow(SandboxError);
    const second = await server.start();
    expect((await post(second, '{}')).status).toBe(200);
  });
});
