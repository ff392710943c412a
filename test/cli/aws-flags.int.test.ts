// The CLI in a child process: --version, --region and --profile, and the one-line errors of a wrong table, an endpoint that is not the service, and conflicting flags.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import { parseScenario } from '../../sandbox/scenario';
import type { CliResult } from '../helpers/cli';
import { execution, sequentialSteps } from '../helpers/harness';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Runs the CLI with `env` as the only AWS settings: the AWS_* variables of the test process (region,
 * keys) are left out, so what the flags and `env` say is all the SDK sees.
 */
function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')),
  );
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'bin/step-watch.ts', ...args],
      {
        cwd: ROOT,
        env: {
          ...inherited,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          // No profile of the machine's own ~/.aws leaks in.
          AWS_CONFIG_FILE: join(ROOT, 'no-such-aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(ROOT, 'no-such-aws-credentials'),
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

const KEYS = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

/** An HTTP server that answers every request 200 with an HTML page, as a proxy or a web server would. */
async function startHtmlServer(): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<html><body>It works!</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('Command: step-watch --version', () => {
  it("prints the package's version and exits 0", async () => {
    const result = await runCli(['--version']);
    expect(result).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});

describe('Flags: --region and --profile', () => {
  let stack: LocalStack;
  let home: string;
  let html: { endpoint: string; server: Server };

  beforeAll(async () => {
    stack = await startLocalStack({
      scenario: parseScenario({
        name: 'aws-flags',
        executions: [execution(1, [[0, 'InProgress']], sequentialSteps(1, 1, 0, 2))],
      }),
      startEpochMs: Date.now() - 10_000,
      tableName: 'flags-table',
    });
    html = await startHtmlServer();
    home = await mkdtemp(join(tmpdir(), 'step-watch-profile-'));
    await writeFile(join(home, 'config'), '[profile sandbox]\nregion = ap-southeast-2\n');
    await writeFile(
      join(home, 'credentials'),
      '[sandbox]\naws_access_key_id = local\naws_secret_access_key = local\n',
    );
  });
  afterAll(async () => {
    await stack.stop();
    html.server.close();
    await rm(home, { recursive: true, force: true });
  });

  const profileFiles = () => ({
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
  });

  it('polls in the region --region names, with no AWS_REGION set', async () => {
    // Act
    const result = await runCli(
      [
        'poll',
        '--table',
        'flags-table',
        '--bus',
        'ops',
        '--account',
        '111122223333',
        '--region',
        'eu-central-1',
      ],
      { ...KEYS, ...stack.env },
    );

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
      shard: '111122223333#eu-central-1',
    });
  });

  it('takes the region and the credentials of the profile --profile names', async () => {
    // Act
    const result = await runCli(
      ['poll', '--table', 'flags-table', '--bus', 'ops', '--account', '111122223333', '--profile', 'sandbox'],
      { ...profileFiles(), ...stack.env },
    );

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
      shard: '111122223333#ap-southeast-2',
    });
  });

  it('reads a table with --profile on executions, and says in one line that a profile has no credentials', async () => {
    // Act
    const known = await runCli(
      ['executions', '--table', 'flags-table', '--profile', 'sandbox', '--format', 'json'],
      {
        ...profileFiles(),
        ...stack.env,
      },
    );
    const unknown = await runCli(
      ['executions', '--table', 'flags-table', '--profile', 'nobody', '--region', 'eu-west-1'],
      { ...profileFiles(), ...stack.env, AWS_MAX_ATTEMPTS: '1' },
    );

    // Assess
    expect(known.stderr).toBe('');
    expect(known.code).toBe(0);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^step-watch: executions: no credentials for profile "nobody": .*\n$/);
  });

  it('says how to give a region when neither the flag, AWS_REGION nor the profile has one', async () => {
    const result = await runCli(['history', 'x', '--table', 'flags-table'], { ...KEYS, ...stack.env });
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('step-watch: history: no region: pass --region or set AWS_REGION.\n');
  });

  it('rejects a --region that is not a region name with exit code 2', async () => {
    const result = await runCli(['history', 'x', '--table', 't', '--region', 'Frankfurt']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'step-watch: history: --region must be an AWS region such as eu-west-1; got "Frankfurt".\n',
    );
  });

  it('names the stack output TableName and the region for a wrong table, in one line', async () => {
    // Act
    const history = await runCli(['history', 'x', '--table', 'SsmStepWatch-Tabel', '--region', 'eu-west-1'], {
      ...KEYS,
      ...stack.env,
    });
    const poll = await runCli(['poll', '--table', 'nope', '--bus', 'ops', '--account', '111122223333'], {
      ...KEYS,
      ...stack.env,
      AWS_REGION: 'us-east-1',
    });

    // Assess
    for (const [command, result, table, region] of [
      ['history', history, 'SsmStepWatch-Tabel', 'eu-west-1'],
      ['poll', poll, 'nope', 'us-east-1'],
    ] as const) {
      expect(result.code).toBe(1);
      expect(result.stderr.split('\n')).toHaveLength(2);
      expect(result.stderr).toContain(
        `step-watch: ${command}: no table "${table}" in ${region}: --table takes the TableName output of the deployed stack`,
      );
      expect(result.stderr).toContain("and --region the stack's region;");
    }
  });

  it('says the endpoint did not answer like DynamoDB when it answers HTML', async () => {
    // Act
    const result = await runCli(['executions', '--table', 'flags-table', '--region', 'eu-west-1'], {
      ...KEYS,
      AWS_ENDPOINT_URL_DYNAMODB: html.endpoint,
      AWS_MAX_ATTEMPTS: '1',
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `step-watch: executions: the endpoint ${html.endpoint} did not answer like DynamoDB (Query got an answer that is not DynamoDB's); check AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL.\n`,
    );
  });

  it('says the endpoint did not answer like SSM when it answers HTML', async () => {
    // Act
    const result = await runCli(
      [
        'poll',
        '--table',
        'flags-table',
        '--bus',
        'ops',
        '--account',
        '111122223333',
        '--region',
        'us-east-1',
      ],
      { ...KEYS, ...stack.env, AWS_ENDPOINT_URL_SSM: html.endpoint, AWS_MAX_ATTEMPTS: '1' },
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^step-watch: poll: the endpoint ${html.endpoint} did not answer like SSM \\(DescribeAutomation\\w+ got an answer that is not SSM's\\); check AWS_ENDPOINT_URL_SSM or AWS_ENDPOINT_URL\\.\\n$`,
      ),
    );
  });

  it.each([
    [['--table', 'ops'], '--table names'],
    [['--region', 'eu-west-1'], '--region names'],
    [['--profile', 'sandbox'], '--profile names'],
    [['--table', 'ops', '--region', 'eu-west-1'], '--table and --region name'],
  ])('rejects --local with %j with exit code 2', async (flags, named) => {
    const result = await runCli(['executions', '--local', ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `step-watch: executions: --local reads the local run's table on this machine; ${named} a deployed one: give one or the other.\n`,
    );
  });
});
