// The CDK app as `cdk synth` runs it: quiet on the defaults, one line naming the context key for a bad one.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(command, args, {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('App: bin/app.ts', () => {
  let outdir: string;
  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'step-watch-app-'));
  });
  afterAll(() => rm(outdir, { recursive: true, force: true }));

  /** The app as the CDK CLI starts it: context in CDK_CONTEXT_JSON. */
  const synthWith = (context: Record<string, string>) =>
    run(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/app.ts'], {
      CDK_CONTEXT_JSON: JSON.stringify(context),
      CDK_OUTDIR: outdir,
    });

  it.each([
    [
      { regions: 'us-north-9' },
      /^ssm-step-watch: context key regions: a value must be a known AWS region such as 'us-east-1'; got "us-north-9"\.\n$/,
    ],
    [
      { notificationEmail: 'ops@example.com' },
      /^ssm-step-watch: context key notificationEmail is not one this app reads\. Did you mean notificationEmails\? Keys: .*\n$/,
    ],
    [
      { notifications: 'true', notificationStatuses: 'Failed,Bogus' },
      /^ssm-step-watch: context key notificationStatuses: 'Bogus' is not an SSM Automation status; allowed: Pending, InProgress, .*\n$/,
    ],
  ])('refuses %j in one line naming the key', async (context, expected) => {
    // Act
    const result = await synthWith(context);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(expected);
  });

  it('synthesizes the default app with cdk synth -q saying nothing of feature flags and warning of nothing', async () => {
    // Act
    const result = await run(
      process.execPath,
      [join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '-q', '--no-notices', '-o', outdir],
      {},
    );

    // Assess
    expect(result.code).toBe(0);
    const said = `${result.stdout}${result.stderr}`;
    expect(said).not.toMatch(/feature flag/i);
    expect(said).not.toMatch(/\bWARN|\[Warning/);
    expect(said).toMatch(/INFO ssm-step-watch: the 5 alarms have no actions while notifications are off;/);
  });
});
