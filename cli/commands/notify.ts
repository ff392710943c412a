// `step-watch notify preview`: the exact Slack and e-mail messages the deployed stack would send for an execution, from its recorded events.

import type { HistoryReader } from '../../lambda/core/history';
import {
  DEFAULT_DIGEST_INTERVAL_SECONDS,
  type NotifyOptions,
  type ObservedEvent,
  type SimulatedMessage,
  simulateNotifications,
} from '../../lambda/core/notifications/digest';
import { FAILURE_STATUSES } from '../../lambda/core/status';
import { parseFlags } from '../args';
import { ExecutionNotFoundError, UsageError } from '../errors';
import { parseStatuses } from '../history/filters';
import { openTable, TABLE_FLAGS } from '../table-access';

const HELP = `Usage: step-watch notify preview <executionId> [options]

Prints the notifications the deployed stack would send for an execution and its child executions,
from their recorded events, with the same code the notify function runs: each message's e-mail
subject, its Slack text (as AWS Chatbot posts it) and its e-mail text. A run with child executions
is digested: its first failure, at most one update per interval, and a final summary.

Options:
  --interval <minutes>  least time between two digest messages of a run (default: 15)
  --per-child           one message per failure of every execution instead of a digest
  --statuses <a,b>      statuses that notify (default: ${FAILURE_STATUSES.join(',')})
  --table <name>        DynamoDB table (default: $TABLE_NAME)
  --local               read the table kept by the last local run (\`npm start\`)
  --region <r>          the table's AWS region
  --profile <name>      named profile of ~/.aws/config
  -h, --help            this help

Events are taken in the order the poller observed them, at those times; the stack handles each a
moment after it was published, so a digest update may fall on a neighbouring event.`;

/** The notify options of the command's flags. */
export interface PreviewOptions extends NotifyOptions {}

/**
 * The messages the stack would send for an execution tree's recorded events: every transition of
 * the execution and its children, in observed order, handed to {@link simulateNotifications}.
 */
export async function previewNotifications(
  reader: HistoryReader,
  executionId: string,
  options: PreviewOptions,
): Promise<SimulatedMessage[]> {
  const events: (ObservedEvent & { order: number })[] = [];
  for await (const record of reader.transitions(executionId)) {
    const at = Date.parse(record.observedAt);
    events.push({
      at: Number.isFinite(at) ? at : 0,
      detailType: record.detailType,
      detail: record.detail,
      order: events.length,
    });
  }
  // The tree comes execution by execution; the stack sees one stream, in the order it was observed.
  events.sort((a, b) => a.at - b.at || a.order - b.order);
  return simulateNotifications(events, options);
}

/** The preview as text: each message's subject, Slack text and e-mail text. */
export function formatPreview(
  executionId: string,
  messages: readonly SimulatedMessage[],
  options: PreviewOptions,
): string {
  const mode = options.perChildMessages
    ? 'one message per failure'
    : `runs with child executions digested every ${options.digestIntervalMs / 60_000} minutes`;
  const head = `Notifications for ${executionId} (${mode}; statuses ${options.statuses.join(', ')}): ${messages.length} message${messages.length === 1 ? '' : 's'}`;
  if (messages.length === 0)
    return `${head}.\nNothing in its recorded events matches the notification rules.\n`;
  const blocks = messages.map((sent, i) =>
    [
      `── ${i + 1} of ${messages.length} · ${sent.message.kind} · ${new Date(sent.at).toISOString()} ──`,
      `Subject: ${sent.rendered.subject}`,
      '',
      'Slack (AWS Chatbot):',
      sent.rendered.slackText,
      '',
      'E-mail:',
      sent.rendered.email,
    ].join('\n'),
  );
  return `${head}\n\n${blocks.join('\n\n')}\n`;
}

function parseOptions(values: {
  interval?: string;
  'per-child'?: boolean;
  statuses?: string;
}): PreviewOptions {
  const minutes =
    values.interval === undefined ? DEFAULT_DIGEST_INTERVAL_SECONDS / 60 : Number(values.interval);
  if (!Number.isFinite(minutes) || minutes < 1 || minutes > 1440 || !Number.isInteger(minutes * 60)) {
    throw new UsageError(
      `notify preview: --interval must be a number of minutes from 1 to 1440; got "${values.interval}".`,
    );
  }
  const statuses = parseStatuses(
    'notify preview',
    'statuses',
    values.statuses === undefined ? [] : [values.statuses],
  ) ?? [...FAILURE_STATUSES];
  return { statuses, digestIntervalMs: minutes * 60_000, perChildMessages: values['per-child'] === true };
}

/** Runs `step-watch notify`. */
export async function notifyCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    'notify',
    args,
    {
      interval: { type: 'string' },
      'per-child': { type: 'boolean' },
      statuses: { type: 'string' },
      ...TABLE_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const [action, executionId = '', ...rest] = positionals;
  if (action !== 'preview' || executionId.trim() === '' || rest.length > 0) {
    throw new UsageError(
      'notify: give one execution id: step-watch notify preview <executionId> [--local] [--table T] [--interval <minutes>] [--per-child].',
    );
  }
  const options = parseOptions(values);
  const access = await openTable('notify preview', {
    table: values.table,
    local: values.local === true,
    region: values.region,
    profile: values.profile,
  });
  try {
    const reader = access.historyReader({});
    if (!(await reader.exists(executionId.trim())))
      throw new ExecutionNotFoundError(
        `notify preview: no execution ${executionId} in table ${access.label}.`,
      );
    const messages = await previewNotifications(reader, executionId.trim(), options);
    process.stdout.write(formatPreview(executionId.trim(), messages, options));
  } finally {
    await access.close();
  }
}
