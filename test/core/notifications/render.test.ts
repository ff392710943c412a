// Tests of rendered notifications with hostile SSM text: the exact Slack and e-mail text, and every channel's limits.
import { describe, expect, it } from 'vitest';
import { simulateNotifications } from '../../../lambda/core/notifications/digest';
import {
  CHATBOT_LIMITS,
  MAX_SNS_MESSAGE_BYTES,
  type RenderedNotification,
} from '../../../lambda/core/notifications/render';
import { FAILURE_STATUSES } from '../../../lambda/core/status';
import { NOTIFY_T0, observed, stepDetail } from './fixtures';

const OPTIONS = { statuses: FAILURE_STATUSES, digestIntervalMs: 900_000, perChildMessages: false };
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function renderStep(
  step: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): RenderedNotification {
  const [sent] = simulateNotifications(
    [observed(NOTIFY_T0, 'step', stepDetail('evt-1', 'exec-1', step, extra))],
    OPTIONS,
  );
  if (!sent) throw new Error('no message');
  return sent.rendered;
}

describe('Function: renderNotification', () => {
  it('renders hostile SSM text literally in Slack and as defanged plain text in e-mail', () => {
    // Prepare
    const rendered = renderStep(
      {
        stepName: '<!here> *urgent*',
        action: 'aws:executeScript',
        failureMessage:
          '<!channel> <@U0123> see <https://evil.example/login|the fix> or [this](http://evil.example)\n> quoted `rm -rf` ~x~ _y_ &amp; \u202Egnp.exe\u200B\u0007',
      },
      { documentName: 'Runbook_<b>' },
    );

    // Assess
    expect(rendered.slackText).toBe(
      [
        'SSM Automation step &lt;!here&gt; ∗urgent∗ Failed',
        '',
        '*Runbook:* Runbookˍ&lt;b&gt;',
        '*Step:* &lt;!here&gt; ∗urgent∗ (aws:executeScript)',
        '*Status:* InProgress → Failed',
        '*Failure:* &lt;!channel&gt; &lt;@U0123&gt; see &lt;hxxps[:]//evil[.]example/login|the fix&gt; or [this] (hxxp[:]//evil[.]example) ⏎ &gt; quoted ˋrm -rfˋ ∼x∼ ˍyˍ &amp;amp; gnp.exe',
        '*Execution:* exec-1 in 123456789012 us-east-1',
        '*Console:* https://us-east-1.console.aws.amazon.com/systems-manager/automation/execution/exec-1?region=us-east-1',
      ].join('\n'),
    );
    expect(rendered.email).toBe(
      [
        'SSM Automation step <!here> *urgent* Failed',
        '',
        'Runbook: Runbook_<b>',
        'Step: <!here> *urgent* (aws:executeScript)',
        'Status: InProgress → Failed',
        'Failure: <!channel> <@U0123> see <hxxps[:]//evil[.]example/login|the fix> or [this](hxxp[:]//evil[.]example)',
        '  > quoted `rm -rf` ~x~ _y_ &amp; gnp.exe',
        'Execution: exec-1 in 123456789012 us-east-1',
        'Console: https://us-east-1.console.aws.amazon.com/systems-manager/automation/execution/exec-1?region=us-east-1',
      ].join('\n'),
    );
    expect(rendered.subject).toBe('SSM Automation step <!here> *urgent* Failed');
  });

  it('keeps a 100 KB failure message within every limit, with its end', () => {
    // Prepare
    const huge = `${'😀<&>'.repeat(20_000)}the real cause`;

    // Act
    const rendered = renderStep({ failureMessage: huge, stepName: '_'.repeat(1000) });

    // Assess
    const { title, description, keywords } = rendered.chatbot.content;
    expect(Array.from(title).length).toBeLessThanOrEqual(CHATBOT_LIMITS.title);
    expect(Array.from(description).length).toBeLessThanOrEqual(CHATBOT_LIMITS.description);
    expect(keywords.every((k) => Array.from(k).length <= CHATBOT_LIMITS.keyword)).toBe(true);
    expect(Buffer.byteLength(rendered.snsMessage, 'utf8')).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
    expect(description).toMatch(/the real cause\n\*Execution:\*/);
    expect(rendered.email).toMatch(/the real cause\nExecution:/);
    expect(rendered.subject.length).toBeLessThan(100);
  });

  it('carries Chatbot JSON for default and https and the text for email in one valid SNS message', () => {
    // Prepare: a lone surrogate, which JSON would carry as an escape SNS may refuse.
    const rendered = renderStep({ failureMessage: 'bad \uD83D half' });

    // Act
    const message = JSON.parse(rendered.snsMessage) as Record<string, string>;

    // Assess
    expect(Object.keys(message)).toEqual(['default', 'https', 'email']);
    expect(message.default).toBe(message.https);
    expect(JSON.parse(message.default ?? '')).toEqual(rendered.chatbot);
    expect(rendered.chatbot).toMatchObject({
      version: '1.0',
      source: 'custom',
      id: 'evt-1',
      content: { textType: 'client-markdown' },
      metadata: { threadId: 'exec-1', eventType: 'Automation Step Status Change' },
    });
    expect(message.email).toBe(rendered.email);
    expect(rendered.snsMessage).not.toMatch(LONE_SURROGATE);
    expect(rendered.snsMessage).not.toMatch(/\\ud[89a-f]/i);
    expect(rendered.email).toContain('bad \uFFFD half');
  });

  it('leaves the console link out when the region or id is not one a URL carries as is', () => {
    const rendered = renderStep({}, { region: 'us-east-1/../evil' });
    expect(rendered.slackText).not.toContain('https://');
    expect(rendered.email).not.toContain('Console:');
  });
});
