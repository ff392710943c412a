#!/usr/bin/env -S npx tsx
// The operator CLI: poll, backfill, table create, local, history, executions.
import { describeError, exitCodeOf, UsageError } from '../cli/errors';
import packageJson from '../package.json' with { type: 'json' };

const USAGE = `Usage: step-watch <command> [options]

Commands:
  poll --table <name> --bus <name> [--source <s>] [--account <id>] [--time-limit <s>]
                           run one poll cycle against what the AWS SDK resolves
  backfill --since <30d|date> --table <name> --bus <name> [--emit] [--time-limit <s>]
                           read what SSM still remembers (30 days) into the audit trail; resumable
  table create --table <name>
                           create the table (same schema as the CDK stack), for local use
  local [--scenario <file>] [--json] [--fresh] [--interval <seconds>]
                           run the sandbox and the poller; print events as they are emitted
  history <executionId> [--format table|json|csv|html] [--failed] [--status <s>] [--step <name>]
          [--target <value>] [--output <file>] [--table <name>] [--local]
                           a summary, then every recorded transition of an execution and its children
  executions [--since 7d] [--status <s>] [--document <prefix>] [--roots] [--limit <n>]
             [--format table|json|csv] [--table <name>] [--local]
                           the executions the store knows, newest first, parents heading children
  notify preview <executionId> [--interval <minutes>] [--per-child] [--statuses <s>] [--table <name>] [--local]
                           the Slack and e-mail messages the stack would send for an execution

Every command but local calls AWS and takes --region <r> and --profile <name> (default: what the
AWS SDK resolves: AWS_REGION, AWS_PROFILE); --local reads this machine's data and takes neither.
Exit codes: 0 done, 1 failed (AWS, the table, the endpoint), 2 usage (bad or conflicting flags).

Run 'step-watch <command> --help' for a command's options, 'step-watch --version' for the version.`;

type Command = (args: string[]) => Promise<void>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  poll: async () => (await import('../cli/commands/poll')).pollCommand,
  backfill: async () => (await import('../cli/commands/backfill')).backfillCommand,
  table: async () => (await import('../cli/commands/table')).tableCommand,
  local: async () => (await import('../cli/commands/local')).localCommand,
  history: async () => (await import('../cli/commands/history')).historyCommand,
  executions: async () => (await import('../cli/commands/executions')).executionsCommand,
  notify: async () => (await import('../cli/commands/notify')).notifyCommand,
};

async function main(argv: string[]): Promise<void> {
  // The SDK warns on every run that future versions need Node 22; the CLI supports Node 20 today.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${packageJson.version}\n`);
    return;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    if (!name) process.exitCode = 2;
    return;
  }
  const load = COMMANDS[name];
  if (!load)
    throw new UsageError(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}.`);
  await (await load())(rest);
}

// A reader that stops early (`step-watch local | head`) closes the pipe: that ends the output, quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE')
    process.stderr.write(`step-watch: cannot write the output: ${describeError(error)}\n`);
  process.exit(error.code === 'EPIPE' ? (process.exitCode ?? 0) : 1);
});

main(process.argv.slice(2)).catch((error: unknown) => {
  const name = process.argv[2];
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? name : undefined;
  process.stderr.write(`step-watch: ${describeError(error, command)}\n`);
  process.exitCode = exitCodeOf(error);
});
