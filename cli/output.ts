// A read command's output: chunks streamed to stdout or a file, and a progress line and skipped-items warning on stderr.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { DynamoHistoryReaderOptions } from '../lambda/adapters/dynamodb/history-reader';
import { StepWatchError } from '../lambda/core/errors';
import { terminalSafe } from './sanitize';

/**
 * Characters JSON.stringify leaves raw that a terminal acts on or hides: DEL and the C1 controls,
 * every format character (`\p{Cf}`: bidi controls, zero-width characters, soft hyphens, invisible
 * operators, tag characters), and the line and paragraph separators. (It already escapes C0
 * controls and lone surrogates.)
 */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\p{Cf}]/gu;

/**
 * JSON text, exact (it parses back to the same value, SSM's text included) yet safe to print: the
 * characters a terminal would act on or hide are written as `\uXXXX` escapes (a tag character as its
 * two surrogates). They can only occur inside strings, where the escape means the same character.
 *
 * @example
 * ```ts
 * jsonLine({ name: 'a\u202Eb\x1b[2J' }); // '{"name":"a\\u202eb\\u001b[2J"}'
 * ```
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(RAW_IN_JSON, (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(
      '',
    ),
  );
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
  readonly update: NonNullable<DynamoHistoryReaderOptions['onProgress']> = (itemsRead) => {
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
  readonly add: NonNullable<DynamoHistoryReaderOptions['onCorruptItem']> = (key, reason) => {
    // Keys and reasons can carry text from SSM (execution ids, names): stripped for the terminal.
    this.#items.push(terminalSafe(`${String(key.pk)} ${String(key.sk)}: ${reason}`));
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
