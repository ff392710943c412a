// `step-watch history`: an execution's audit trail (and its children's) as a table, JSON, CSV or an HTML timeline.
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import {
  type ExecutionListing,
  HistoryReader,
  type HistoryReaderOptions,
} from '../../lambda/adapters/history';
import { DynamoSnapshotStore } from '../../lambda/adapters/snapshots';
import { StepWatchError } from '../../lambda/core/errors';
import { SandboxError } from '../../sandbox/errors';
import {
  HISTORY_FORMATS,
  HISTORY_TABLE_HEADERS,
  type HistoryFormat,
  type HistoryRow,
  historyTableCells,
  streamHistoryCsv,
  streamJson,
  streamTable,
  toHistoryRow,
} from '../history/format';
import { renderTimeline } from '../history/timeline';
import { parseFlags } from './args';
import { UsageError } from './cli-errors';

/** The execution asked for has neither a snapshot nor a transition in the table. Exit code 1. */
export class ExecutionNotFoundError extends StepWatchError {}

/** `--local` was given but there is no data of a local run to read. Exit code 1. */
export class LocalRunNotFoundError extends StepWatchError {}

const HELP = `Usage: step-watch history <executionId> [options]

Prints every recorded transition of an execution and of its child executions (recursively):
the execution's own transitions in the order they were observed, then each child's.

Options:
  --format <f>     table (default) | json | csv | html (a self-contained timeline page)
  --table <name>   DynamoDB table (default: $TABLE_NAME)
  --local          read the table kept by the last local run (\`npm start\`) in .local/dynamodb
  --output <file>  write to a file instead of stdout
  -h, --help       this help

Endpoint: AWS_ENDPOINT_URL_DYNAMODB. With --local, STEP_WATCH_LOCAL_DIR overrides the data directory.`;

/** Runs `step-watch history`. */
export async function historyCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    'history',
    args,
    {
      format: { type: 'string' },
      table: { type: 'string' },
      local: { type: 'boolean' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const executionId = positionals[0]?.trim() ?? '';
  if (positionals.length !== 1 || executionId === '') {
    throw new UsageError(
      'history: give one execution id: step-watch history <executionId> [--format table|json|csv|html].',
    );
  }
  const format = parseChoice('history', 'format', values.format, HISTORY_FORMATS, 'table');
  if (values.output !== undefined && values.output.trim() === '') {
    throw new UsageError('history: --output needs a file name.');
  }

  const access = await openTable('history', { table: values.table, local: values.local === true });
  try {
    const progress = new Progress('history');
    const skipped = new SkippedItems();
    const reader = new HistoryReader(access.store, {
      onCorruptItem: skipped.add,
      onProgress: progress.update,
    });
    const execution = await reader.execution(executionId);
    if (!execution && !(await reader.exists(executionId))) {
      throw new ExecutionNotFoundError(`history: no execution ${executionId} in table ${access.label}.`);
    }
    const rows = mapAsync(reader.transitions(executionId), toHistoryRow);
    await writeChunks(chunksOf(format, rows, execution, executionId, access.label), values.output, progress);
    progress.done();
    skipped.report('history');
  } finally {
    await access.close();
  }
}

async function* chunksOf(
  format: HistoryFormat,
  rows: AsyncIterable<HistoryRow>,
  execution: ExecutionListing | null,
  executionId: string,
  source: string,
): AsyncGenerator<string> {
  switch (format) {
    case 'table':
      yield* streamTable(HISTORY_TABLE_HEADERS, mapAsync(rows, historyTableCells));
      return;
    case 'csv':
      yield* streamHistoryCsv(rows);
      return;
    case 'json':
      yield* streamJson(rows);
      return;
    case 'html': {
      // One tree's rows are bounded; the timeline needs all of them to lay out its time axis.
      const all: HistoryRow[] = [];
      for await (const row of rows) all.push(row);
      yield renderTimeline({ rows: all, execution, executionId, source });
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Shared with `step-watch executions`: opening the table, progress, output.
// ---------------------------------------------------------------------------------------------

/** The table a read command works on, and how to let go of it. */
export interface TableAccess {
  readonly store: DynamoSnapshotStore;
  /** The table name, with `(local)` for the local run's table, for messages. */
  readonly label: string;
  /** Stops the in-process DynamoDB of `--local`; nothing otherwise. */
  close(): Promise<void>;
}

/**
 * The data directory of the local run's DynamoDB: `STEP_WATCH_LOCAL_DIR` when set, else the one
 * `step-watch local` writes (`<project root>/.local/dynamodb`).
 */
export function localDataDirectory(
  defaultDirectory: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return env.STEP_WATCH_LOCAL_DIR?.trim() || defaultDirectory;
}

/**
 * Opens the table of `--table` / `TABLE_NAME` through the SDK's usual resolution (credentials,
 * region, `AWS_ENDPOINT_URL_DYNAMODB`), or with `local` the local run's persisted dynalite, started
 * in-process on a free port.
 */
export async function openTable(
  command: string,
  options: { readonly table?: string; readonly local: boolean },
): Promise<TableAccess> {
  const named = options.table?.trim() || undefined;
  if (!options.local) {
    const tableName = named ?? process.env.TABLE_NAME?.trim();
    if (!tableName)
      throw new UsageError(`${command}: --table <name> (or TABLE_NAME) is required, or --local.`);
    return {
      store: new DynamoSnapshotStore({ tableName, client: new DynamoDBClient({}) }),
      label: tableName,
      close: async () => {},
    };
  }

  // The sandbox is loaded only for --local: reading a deployed table needs none of it.
  const { LOCAL_DATA_DIR, LOCAL_TABLE } = await import('../../sandbox/local-stack');
  const { startDynamo } = await import('../../sandbox/dynamo');
  const directory = localDataDirectory(LOCAL_DATA_DIR);
  const missing = new LocalRunNotFoundError('no local run found: run `npm start` first');
  if (!existsSync(directory)) throw missing;
  let dynamo: Awaited<ReturnType<typeof startDynamo>>;
  try {
    dynamo = await startDynamo({ path: directory });
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    throw new StepWatchError(
      `${command}: the local run's data in ${directory} cannot be opened; if \`npm start\` is still running, stop it first.`,
      { cause: error },
    );
  }
  const tableName = named ?? LOCAL_TABLE;
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const close = async (): Promise<void> => {
    client.destroy();
    await dynamo.stop();
  };
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    await close();
    if (error instanceof ResourceNotFoundException) throw missing;
    throw error;
  }
  return { store: new DynamoSnapshotStore({ tableName, client }), label: `${tableName} (local)`, close };
}

/** A flag with a fixed set of values, or a UsageError listing them. */
export function parseChoice<T extends string>(
  command: string,
  flag: string,
  raw: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (raw === undefined) return fallback;
  const value = raw.trim();
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${command}: --${flag} must be one of ${choices.join(', ')}; got "${raw}".`);
  }
  return value as T;
}

/** Maps an async iterable lazily. */
export async function* mapAsync<T, U>(items: AsyncIterable<T>, map: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield map(item);
}

/** Where {@link Progress} draws: stderr, or a stand-in in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Items read, on one self-overwriting line, only when the stream is a terminal and only once a read
 * has taken long enough to be worth watching.
 */
export class Progress {
  readonly #label: string;
  readonly #stream: ProgressStream;
  readonly #now: () => number;
  readonly #startedAt: number;
  #lastDrawn = 0;
  #shown = false;

  constructor(label: string, stream: ProgressStream = process.stderr, now: () => number = Date.now) {
    this.#label = label;
    this.#stream = stream;
    this.#now = now;
    this.#startedAt = now();
  }

  /** Records the running total of items read (a bound function, to pass as a callback). */
  readonly update: NonNullable<HistoryReaderOptions['onProgress']> = (itemsRead) => {
    if (this.#stream.isTTY !== true) return;
    const now = this.#now();
    if (now - this.#startedAt < 400 || now - this.#lastDrawn < 100) return;
    this.#lastDrawn = now;
    this.#shown = true;
    this.#stream.write(`\r\x1b[K${this.#label}: ${itemsRead} items read…`);
  };

  /** Removes the line, so output written to the same terminal starts clean. */
  clear(): void {
    if (!this.#shown) return;
    this.#stream.write('\r\x1b[K');
    this.#shown = false;
  }

  /** Ends the display. */
  done(): void {
    this.clear();
  }
}

/** Unreadable items met while reading, reported once at the end as one stderr line. */
export class SkippedItems {
  readonly #items: string[] = [];

  /** Records one (a bound function, to pass as a callback). */
  readonly add: NonNullable<HistoryReaderOptions['onCorruptItem']> = (key, reason) => {
    this.#items.push(`${String(key.pk)} ${String(key.sk)}: ${reason}`);
  };

  /** Writes the warning line, when anything was skipped. */
  report(command: string): void {
    if (this.#items.length === 0) return;
    process.stderr.write(
      `step-watch: ${command}: skipped ${this.#items.length} unreadable item(s), first: ${this.#items[0]}\n`,
    );
  }
}

/**
 * Writes chunks to a file (opened only once there is something to write, so a failed read leaves no
 * file behind) or to stdout, waiting on back-pressure. A reader that closes the pipe early
 * (`| head`) ends the output quietly.
 */
export async function writeChunks(
  chunks: AsyncIterable<string>,
  file: string | undefined,
  progress: Progress,
): Promise<void> {
  let out: Writable | undefined;
  let failure: NodeJS.ErrnoException | undefined;
  const onError = (error: NodeJS.ErrnoException): void => {
    failure ??= error;
  };
  const stopped = (): boolean => {
    if (failure === undefined) return false;
    if (file === undefined && failure.code === 'EPIPE') return true;
    throw new StepWatchError(`cannot write ${file ?? 'stdout'}: ${failure.message}`, { cause: failure });
  };
  const open = async (): Promise<Writable> => {
    const stream = file === undefined ? process.stdout : createWriteStream(file);
    stream.on('error', onError);
    if (file !== undefined) await Promise.race([once(stream, 'open'), once(stream, 'close')]).catch(() => {});
    return stream;
  };
  try {
    for await (const chunk of chunks) {
      out ??= await open();
      progress.clear();
      if (stopped()) return;
      if (!out.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            out?.off('drain', done).off('close', done).off('error', done);
            resolve();
          };
          out?.once('drain', done).once('close', done).once('error', done);
        });
      }
      if (stopped()) return;
    }
    if (file !== undefined) {
      // An empty history still produces a (small) file, never none.
      const stream = out ?? (await open());
      if (stopped()) return;
      await new Promise<void>((resolve) => stream.end(resolve));
      stopped();
    }
  } finally {
    // The error listener stays: a late EPIPE on stdout must not crash the process.
    if (file !== undefined && out && !out.writableFinished) out.destroy();
  }
}
