// `step-watch notify preview` over the wire: the preview of an execution's recorded events is exactly what the notify function published; usage errors are one line, exit 2.
import { afterEach, describe, expect, it } from 'vitest';
import { formatPreview, previewNotifications } from '../../../cli/commands/notify';
import { DynamoHistoryReader } from '../../../lambda/adapters/dynamodb/history-reader';
import { FAILURE_STATUSES } from '../../../lambda/core/status';
import { createLocalNotifyPump } from '../../../sandbox/local-stack';
import { rateControlRun, rateControlTargets } from '../../../sandbox/rate-control';
import { runCli } from '../../helpers/cli';
import { type Harness, idOf, startHarness } from '../../helpers/harness';

const PARENT = idOf('e', 7);
const OPTIONS = { statuses: [...FAILURE_STATUSES], digestIntervalMs: 300_000, perChildMessages: false };

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('Command: notify preview', () => {
  it('prints exactly the messages the notify function published for a rate-control run', async () => {
    // Prepare: twenty targets, the events handed to the notify function right after each cycle.
    const executions = rateControlRun({
      parentId: PARENT,
      targets: rateControlTargets(20, 5, { minSeconds: 60, maxSeconds: 300, failureRate: 0.3 }),
      maxConcurrency: 5,
    });
    const end = Math.max(...executions.map((e) => e.timeline.at(-1)?.at ?? 0));
    h = await startHarness(executions);
    const harness = h;
    const pump = createLocalNotifyPump(harness.stack, {
      clock: harness.now,
      env: { DIGEST_INTERVAL_SECONDS: '300' },
    });
    for (let t = 30; t <= end + 180; t += 90) {
      harness.at(t);
      await harness.cycle();
      await pump.pump();
    }
    const reader = new DynamoHistoryReader({
      tableName: harness.stack.tableName,
      client: harness.stack.clients.dynamodb,
    });

    // Act
    const preview = await previewNotifications(reader, PARENT, OPTIONS);

    // Assess
    const published = harness.stack.sns.messages();
    expect(published.length).toBeGreaterThanOrEqual(2);
    expect(preview.map((m) => [m.rendered.subject, m.rendered.snsMessage])).toEqual(
      published.map((m) => [m.subject, m.message]),
    );
    const text = formatPreview(PARENT, preview, OPTIONS);
    expect(text).toContain(`── 1 of ${published.length} · digest-first · `);
    expect(text).toContain(`Subject: ${published.at(-1)?.subject}`);
  });

  it.each([
    [['notify'], 'notify: give one execution id'],
    [['notify', 'preview'], 'notify: give one execution id'],
    [['notify', 'preview', 'x', '--interval', 'soon', '--local'], '--interval must be a number of minutes'],
    [['notify', 'preview', 'x', '--bogus'], "notify: Unknown option '--bogus'"],
    [
      ['notify', 'preview', 'x', '--statuses', 'failed,Bogus', '--local'],
      'notify preview: --statuses "Bogus" is not a status SSM uses',
    ],
  ])('refuses %j in one line with exit code 2', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });
});
