// cdk-nag AwsSolutions finds nothing unacknowledged, and every acknowledgement has a reason and a finding it answers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepWatchStack } from '../../lib/step-watch-stack';
import { createInfraFixture, type InfraFixture } from './fixture';

/** One `Validations.of(x).acknowledge()` found in the construct tree. */
interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

const STACKS = ['defaults', 'everything', 'organization', 'encrypted'] as const;

let fixture: InfraFixture<(typeof STACKS)[number]>;

beforeAll(() => {
  fixture = createInfraFixture((app) => ({
    defaults: {},
    everything: {
      env: { account: '123456789012', region: 'eu-west-1' },
      shards: [
        { region: 'eu-west-1' },
        { account: '111122223333', roleArn: 'arn:aws:iam::111122223333:role/Reader' },
      ],
      notifications: {
        emails: ['ops@example.com'],
        slack: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' },
      },
    },
    organization: {
      env: { account: '123456789012', region: 'eu-west-1' },
      organization: { regions: ['eu-west-1', 'us-east-1'] },
    },
    encrypted: {
      env: { account: '123456789012', region: 'eu-west-1' },
      eventBusEncryptionKey: kms.Key.fromKeyArn(
        new Stack(app, 'Keys', { env: { account: '123456789012', region: 'eu-west-1' } }),
        'BusKey',
        'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
      ),
      shards: [{ region: 'eu-west-1' }, { region: 'us-east-1' }],
    },
  }));
});

afterAll(() => fixture.cleanup());

function acknowledgementsUnder(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          // aws-cdk-lib records un-namespaced ids as annotation rules.
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** What AwsSolutions reports when acknowledgements are ignored: every finding, acknowledged or not. */
function allFindings(root: IConstruct): PolicyValidationPluginReport {
  const checks = new AwsSolutionsChecks();
  // cdk-nag 3.0.2 keeps this check private; replacing it on the instance shows what the acknowledgements hide.
  Object.defineProperty(checks, 'isAcknowledged', { value: () => false });
  return checks.validateScope(root);
}

describe('cdk-nag AwsSolutions', () => {
  it.each(STACKS)('finds no unacknowledged violation on the %s stack', (key) => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(fixture.stacks[key]);

    // Assess
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it.each(STACKS)('acknowledges only findings that exist on the %s stack', (key) => {
    // Prepare
    const findings = allFindings(fixture.stacks[key]).violations;

    // Assess
    for (const acknowledgement of acknowledgementsUnder(fixture.stacks[key])) {
      const answered = findings.some(
        (finding) =>
          finding.ruleName === acknowledgement.id &&
          finding.violatingResources.some((resource) =>
            resource.constructPath?.startsWith(acknowledgement.path),
          ),
      );
      expect(answered, `${acknowledgement.id} at ${acknowledgement.path}`).toBe(true);
    }
  });

  it("finds nothing unacknowledged on an organization stack synthesized with cdk.json's context (its feature flags write partitions as literals)", () => {
    // Prepare
    const { context } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'cdk.json'), 'utf8'));
    const app = new App({ context, outdir: fixture.outdir });
    const stack = new StepWatchStack(app, 'FlagsOrganization', {
      env: { account: '123456789012', region: 'eu-west-1' },
      organization: { regions: ['eu-west-1', 'us-east-1'] },
    });

    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);

    // Assess
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('gives every acknowledgement a written reason', () => {
    const acknowledgements = acknowledgementsUnder(fixture.app);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { id, path, reason } of acknowledgements) {
      expect(reason.trim().length, `${id} at ${path}`).toBeGreaterThanOrEqual(40);
    }
  });

  it('acknowledges the wildcards of organization mode only where the actions have no resource-level permissions', () => {
    // Prepare
    const wildcards = acknowledgementsUnder(fixture.stacks.organization).filter((acknowledgement) =>
      acknowledgement.id.startsWith('AwsSolutions-IAM5'),
    );

    // Assess
    expect(wildcards.map(({ path, id }) => [path, id])).toEqual(
      expect.arrayContaining([
        ['organization/StepWatch/DispatcherRole', 'AwsSolutions-IAM5[Resource::*]'],
        ['organization/StepWatch/Organization/Root', 'AwsSolutions-IAM5[Resource::*]'],
        [
          'organization/StepWatch/FunctionRole',
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/ssm-step-watch-reader]',
        ],
      ]),
    );
    const dispatcher = wildcards.find(({ path }) => path.endsWith('DispatcherRole'));
    expect(dispatcher?.reason).toMatch(/organizations:ListAccounts.*found at run time/);
  });

  it('acknowledges the SSM wildcard only on the two poller roles, because Describe has no resource-level permissions', () => {
    const wildcard = acknowledgementsUnder(fixture.stacks.defaults).filter(
      (acknowledgement) => acknowledgement.id === 'AwsSolutions-IAM5[Resource::*]',
    );
    expect(wildcard).toEqual(
      ['defaults/StepWatch/FunctionRole', 'defaults/StepWatch/HintFunctionRole'].map((path) => ({
        path,
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: expect.stringMatching(/support no resource-level permissions/),
      })),
    );
  });
});
