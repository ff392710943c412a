// Over the wire: a rate-control run through the real poller, the notification rules and the real notify handler to the SNS recorder; duplicates, concurrency, a failed publish, hostile text.
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoNotificationStore } from '../../lambda/adapters/dynamodb/notification-store';
import { type ObservedEvent, simulateNotifications } from '../../lambda/core/notifications/digest';
import { FAILURE_STATUSES } from '../../lambda/core/status';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import { createLocalNotifyPump } from '../../sandbox/local-stack';
import { rateControlRun, rateControlTargets } from '../../sandbox/rate-control';
import type { RecordedPublish } from '../../sandbox/sns-recorder';
import { execution, type Harness, idOf, startHarness, step } from '../helpers/harness';
import { captureStdio } from '../helpers/stdio';

const PARENT = idOf('e', 1);
/** A five-minute digest interval, so the twenty-minute run gets updates between its first failure and its end. */
const INTERVAL_SECONDS = 300;
const OPTIONS = {
  statuses: FAILURE_STATUSES,
  digestIntervalMs: INTERVAL_SECONDS * 1000,
  perChildMessages: false,
};
const ENV = { DIGEST_INTERVAL_SECONDS: String(INTERVAL_SECONDS) };

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Thirty targets, six at a time, one in five failing: about twenty minutes. */
function run() {
  return rateControlRun({
    parentId: PARENT,
    targets: rateControlTargets(30, 11, { minSeconds: 60, maxSeconds: 400, failureRate: 0.2 }),
    maxConcurrency: 6,
  });
}

/** The kind of a recorded message, read back from its Chatbot JSON id. */
function kindOf(message: RecordedPublish): string {
  const chatbot = JSON.parse(message.byProtocol.https ?? '{}') as { id?: string };
  return chatbot.id?.split('/')[1] ?? 'event';
}

/** Polls every `stepSeconds` until `endSeconds`, calling `after` with each cycle's time and events. */
async function pollUntil(
  harness: Harness,
  endSeconds: number,
  stepSeconds: number,
  after: (seconds: number, events: RecordedEvent[]) => Promise<void>,
): Promise<void> {
  for (let t = 30; t <= endSeconds; t += stepSeconds) {
    const before = harness.events().length;
    harness.at(t);
    await harness.cycle();
    await after(t, harness.events().slice(before));
  }
}

describe('Handler: notify (over the wire)', () => {
  it('sends a rate-control run as a digest: the first failure at once, few updates, a final summary; as the simulation says', async () => {
    // Prepare
    const executions = run();
    const failedChildren = executions.slice(1).filter((c) => c.timeline.at(-1)?.status === 'Failed').length;
    const end = Math.max(...executions.map((e) => e.timeline.at(-1)?.at ?? 0));
    h = await startHarness(executions);
    const harness = h;
    const pump = createLocalNotifyPump(harness.stack, { clock: harness.now, env: ENV });
    const observed: ObservedEvent[] = [];
    let firstFailureCycle: number | undefined;
    let sentAfterFirstFailureCycle = 0;

    // Act: a cycle every three minutes, the rules' events handed to the notify function after each.
    await pollUntil(harness, end + 360, 180, async (t, events) => {
      for (const event of events.filter((e) => pump.matches(e)))
        observed.push({ at: harness.now(), detailType: event.detailType, detail: event.detail });
      await pump.pump();
      if (firstFailureCycle === undefined && events.some((e) => /"status":"Failed"/.test(e.detailRaw))) {
        firstFailureCycle = t;
        sentAfterFirstFailureCycle = harness.stack.sns.messages().length;
      }
    });

    // Assess
    const messages = harness.stack.sns.messages();
    const kinds = messages.map(kindOf);
    expect(kinds[0]).toBe('digest-first');
    expect(kinds.at(-1)).toBe('digest-final');
    expect(kinds.slice(1, -1).every((kind) => kind === 'digest-update')).toBe(true);
    expect(messages.length).toBeLessThanOrEqual(5);
    expect(kinds).toContain('digest-update');
    expect(sentAfterFirstFailureCycle).toBe(1);
    expect(messages.at(-1)?.subject).toBe(
      `SSM Automation AWS-RestartEC2Instance Failed: ${failedChildren} child executions failed`,
    );
    expect(messages.every((m) => m.messageStructure === 'json')).toBe(true);
    // The simulation the preview uses gives exactly what the stack published.
    const simulated = simulateNotifications(observed, OPTIONS);
    expect(messages.map((m) => [m.subject, m.message])).toEqual(
      simulated.map((s) => [s.rendered.subject, s.rendered.snsMessage]),
    );
  });

  it('counts every event once and sends the first failure and the summary once under concurrent, repeated invocations', async () => {
    // Prepare: the whole run polled first, its events then delivered 25 at a time, twice over.
    const executions = run();
    const end = Math.max(...executions.map((e) => e.timeline.at(-1)?.at ?? 0));
    h = await startHarness(executions);
    const harness = h;
    await pollUntil(harness, end + 600, 600, async () => {});
    const pump = createLocalNotifyPump(harness.stack, { clock: harness.now, concurrency: 25 });
    const matched = harness.events().filter((e) => pump.matches(e));

    // Act
    const first = await pump.deliver(matched);
    const again = await pump.deliver([...matched].reverse());

    // Assess
    expect(first.failed + again.failed).toBe(0);
    const kinds = harness.stack.sns.messages().map(kindOf);
    expect(kinds.filter((kind) => kind === 'digest-final')).toEqual(['digest-final']);
    expect(kinds.filter((kind) => kind === 'digest-first').length).toBeLessThanOrEqual(1);
    expect(kinds.length).toBeLessThanOrEqual(2);
    const store = new DynamoNotificationStore({
      tableName: harness.stack.tableName,
      client: harness.stack.clients.dynamodb,
    });
    const record = await store.load(PARENT);
    const ended: Record<string, number> = {};
    for (const child of executions.slice(1)) {
      const status = child.timeline.at(-1)?.status ?? '';
      ended[status] = (ended[status] ?? 0) + 1;
    }
    expect(record?.state.digest?.children).toEqual(ended);
    expect(record?.unsent).toEqual([]);
  });

  it("publishes a message whose publish failed with the thread's next event, and its retry then sends nothing more", async () => {
    // Prepare
    h = await startHarness([
      execution(
        1,
        [
          [0, 'InProgress'],
          [20, 'Failed'],
        ],
        [
          step(1, [
            [0, 'InProgress'],
            [10, 'Failed'],
          ]),
        ],
      ),
    ]);
    const harness = h;
    harness.at(30);
    await harness.cycle();
    const pump = createLocalNotifyPump(harness.stack, { clock: harness.now });
    const matched = harness.events().filter((e) => pump.matches(e));
    const output: string[] = [];
    captureStdio(output);
    // Every attempt of the SDK's retries fails.
    harness.stack.sns.failNext(3);

    // Act: the step's publish fails and is released; the execution's event, next, publishes both.
    const first = await pump.deliver(matched);
    const afterFirst = harness.stack.sns.messages().length;
    harness.at(30 + 61);
    const retried = await pump.deliver(matched);

    // Assess: the step's and the execution's messages, each once.
    expect(first.failed).toBe(1);
    expect(afterFirst).toBe(2);
    expect(retried.failed).toBe(0);
    expect(output.join('')).toMatch(/"message":"notification failed".*Injected failure/);
    expect(harness.stack.sns.messages().map((m) => m.subject)).toEqual([
      'SSM Automation step step1 Failed',
      'SSM Automation Doc-1 Failed',
    ]);
    const store = new DynamoNotificationStore({
      tableName: harness.stack.tableName,
      client: harness.stack.clients.dynamodb,
    });
    expect((await store.load(idOf('e', 1)))?.unsent).toEqual([]);
  });

  it('shows hostile SSM text literally in Slack and defanged in e-mail, byte for byte', async () => {
    // Prepare
    const hostile =
      '<!channel> *PWNED* see <https://evil.example/x|docs> `rm -rf /`\n> \u202Etxt.exe\u200B ok';
    h = await startHarness([
      execution(
        1,
        [
          [0, 'InProgress'],
          [20, 'Success'],
        ],
        [
          {
            ...step(1, [[0, 'InProgress']]),
            name: '<@U0123>_step',
            timeline: [
              { at: 0, status: 'InProgress' },
              { at: 10, status: 'Failed', failureMessage: hostile },
            ],
          },
        ],
        { documentName: 'Ops~<!here>' },
      ),
    ]);
    const harness = h;
    harness.at(30);
    await harness.cycle();
    const pump = createLocalNotifyPump(harness.stack, { clock: harness.now });

    // Act
    await pump.pump();

    // Assess
    const [message] = harness.stack.sns.messages();
    const chatbot = JSON.parse(message?.byProtocol.https ?? '{}') as {
      content: { title: string; description: string };
    };
    const id = idOf('e', 1);
    const link = `https://us-east-1.console.aws.amazon.com/systems-manager/automation/execution/${id}?region=us-east-1`;
    // The `@` stays plain: after `&lt;` it cannot start a mention (Slack reads `<@U…>` only unescaped).
    expect(chatbot.content.title).toBe('SSM Automation step &lt;@U0123&gt;ˍstep Failed');
    expect(chatbot.content.description).toBe(
      [
        '*Runbook:* Ops∼&lt;!here&gt;',
        '*Step:* &lt;@U0123&gt;ˍstep (aws:executeScript)',
        '*Status:* Failed (first seen)',
        '*Failure:* &lt;!channel&gt; ∗PWNED∗ see &lt;hxxps[:]//evil[.]example/x|docs&gt; ˋrm -rf /ˋ ⏎ &gt; txt.exe ok',
        `*Execution:* ${id} in 123456789012 us-east-1`,
        `*Console:* ${link}`,
      ].join('\n'),
    );
    expect(message?.byProtocol.email).toBe(
      [
        'SSM Automation step <@U0123>_step Failed',
        '',
        'Runbook: Ops~<!here>',
        'Step: <@U0123>_step (aws:executeScript)',
        'Status: Failed (first seen)',
        'Failure: <!channel> *PWNED* see <hxxps[:]//evil[.]example/x|docs> `rm -rf /`',
        '  > txt.exe ok',
        `Execution: ${id} in 123456789012 us-east-1`,
        `Console: ${link}`,
      ].join('\n'),
    );
    expect(message?.subject).toBe('SSM Automation step <@U0123>_step Failed');
  });
});
