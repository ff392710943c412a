// cfn-lint finds no error and no warning in the default, notifications and organization templates, nor in a hint forwarder's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepWatchHintForwarderStack } from '../../lib/hint-forwarder';
import { createInfraFixture, type InfraFixture } from './fixture';

/** One finding of `cfn-lint --format json`. */
interface CfnLintMatch {
  readonly Level: string;
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Filename: string;
}

/** cfn-lint's version when it is on PATH, else why it cannot be run. */
function detectCfnLint(): { readonly version: string } | { readonly missing: string } {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (probe.error) return { missing: (probe.error as NodeJS.ErrnoException).code ?? String(probe.error) };
  if (probe.status !== 0)
    return { missing: `cfn-lint --version exited ${probe.status}: ${probe.stderr.trim()}` };
  return { version: probe.stdout.trim() };
}

const cfnLint = detectCfnLint();

if ('missing' in cfnLint) {
  describe('cfn-lint', () => {
    it('is not on PATH, so no template is linted here (pip install cfn-lint to run these checks)', (context) => {
      console.warn(`cfn-lint checks not run: cfn-lint cannot be started (${cfnLint.missing}).`);
      context.skip();
    });
  });
} else {
  let fixture: InfraFixture<'defaults' | 'notifications' | 'organization'>;
  let forwarderDir: string;
  let findings: CfnLintMatch[];
  let exitCode: number | null;

  beforeAll(() => {
    fixture = createInfraFixture({
      defaults: {},
      notifications: { notifications: { emails: ['ops@example.com'] } },
      organization: {
        env: { account: '123456789012', region: 'eu-west-1' },
        organization: { regions: ['eu-west-1', 'us-east-1'] },
      },
    });
    forwarderDir = mkdtempSync(join(tmpdir(), 'step-watch-forwarder-lint-'));
    const forwarder = new StepWatchHintForwarderStack(new App({ outdir: forwarderDir }), 'Forwarder', {
      env: { account: '444455556666', region: 'ap-southeast-2' },
      pollerAccount: '123456789012',
      pollerRegion: 'eu-west-1',
    });
    const files = (['defaults', 'notifications', 'organization'] as const).map((key) => {
      const file = join(fixture.outdir, `${key}.lint.json`);
      writeFileSync(file, JSON.stringify(fixture.templates[key].toJSON()));
      return file;
    });
    const forwarderFile = join(forwarderDir, 'forwarder.lint.json');
    writeFileSync(forwarderFile, JSON.stringify(Template.fromStack(forwarder).toJSON()));
    // A control with one known warning (W2001, a parameter nothing uses): proof the run lints.
    const controlFile = join(forwarderDir, 'control.lint.json');
    writeFileSync(
      controlFile,
      JSON.stringify({
        Parameters: { Unused: { Type: 'String' } },
        Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      }),
    );
    // One run for all five: cfn-lint's start-up is most of its time.
    const run = spawnSync('cfn-lint', ['--format', 'json', ...files, forwarderFile, controlFile], {
      encoding: 'utf8',
    });
    exitCode = run.status;
    findings = JSON.parse(run.stdout || '[]') as CfnLintMatch[];
  });

  afterAll(() => {
    fixture.cleanup();
    rmSync(forwarderDir, { recursive: true, force: true });
  });

  describe(`cfn-lint (${cfnLint.version})`, () => {
    it.each(['defaults', 'notifications', 'organization', 'forwarder'])(
      'finds no error and no warning in the %s template',
      (key) => {
        const problems = findings
          .filter((finding) => finding.Filename.endsWith(`${key}.lint.json`))
          .filter((finding) => finding.Level === 'Error' || finding.Level === 'Warning')
          .map((finding) => `${finding.Level} ${finding.Rule.Id}: ${finding.Message}`);
        expect(problems).toEqual([]);
      },
    );

    it("runs to the end and reports the control template's known warning, so an empty report means clean", () => {
      // cfn-lint's exit code is a bit field: 1 a failure of its own, 2 errors, 4 warnings.
      expect(exitCode).not.toBeNull();
      expect((exitCode as number) & 1).toBe(0);
      expect(
        findings
          .filter((finding) => finding.Filename.endsWith('control.lint.json'))
          .map((finding) => finding.Rule.Id),
      ).toEqual(['W2001']);
    });
  });
}
