// The lease holder's side of the hint inbox: open while reading, take what was handed over once a second, close only when empty.
import type { HintInbox } from './core/ports';
import type { ExecutionView } from './core/types';
import type { ExecutionFinder } from './discovery';

/** How often a cycle holding the lease looks into the hint inbox while it reads. */
export const INBOX_LOOK_MS = 1000;

/**
 * Serves a cycle's hint inbox: {@link InboxReader.open} opens it until the cycle stops reading;
 * {@link InboxReader.next} says which executions to read next (those handed over since the last
 * look, at most once a second) and, once the queue is done, closes the inbox or returns what still
 * waits in it. The cycle reads those executions before the rest of its queue.
 */
export class InboxReader {
  /** Execution ids taken from the inbox this cycle. */
  taken = 0;
  readonly #inbox: HintInbox;
  readonly #shard: string;
  readonly #finder: ExecutionFinder;
  readonly #now: () => number;
  #lastLook = Number.NEGATIVE_INFINITY;
  #closed = false;

  private constructor(inbox: HintInbox, shard: string, finder: ExecutionFinder, now: () => number) {
    this.#inbox = inbox;
    this.#shard = shard;
    this.#finder = finder;
    this.#now = now;
  }

  /** Opens the shard's inbox until `until` (epoch ms), when the cycle stops reading for sure. */
  static async open(
    inbox: HintInbox,
    shard: string,
    finder: ExecutionFinder,
    now: () => number,
    until: number,
  ): Promise<InboxReader> {
    await inbox.open(shard, until);
    return new InboxReader(inbox, shard, finder, now);
  }

  /**
   * What to read next: with executions still queued (`more`), the ones handed over since the last
   * look (none when looked less than a second ago); with none, the ones waiting, or none once the
   * inbox closed empty. Out of time (`late`), nothing: the inbox closes and what waits stays for the
   * next holder.
   */
  async next(more: boolean, late: () => boolean): Promise<ExecutionView[]> {
    if (this.#closed) return [];
    if (late()) {
      if (!more) await this.stop();
      return [];
    }
    if (more) return this.#now() - this.#lastLook >= INBOX_LOOK_MS ? this.#take() : [];
    while (!late()) {
      if (await this.#inbox.close(this.#shard)) {
        this.#closed = true;
        return [];
      }
      const views = await this.#take();
      if (views.length > 0) return views;
    }
    await this.stop();
    return [];
  }

  /** Closes the inbox whatever waits in it, as a cycle that stops reading early does; once. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#inbox.forceClose(this.#shard);
  }

  async #take(): Promise<ExecutionView[]> {
    this.#lastLook = this.#now();
    const ids = await this.#inbox.take(this.#shard);
    this.taken += ids.length;
    return this.#finder.refresh(ids);
  }
}

/**
 * Queues executions taken from the hint inbox to be read before the rest of the cycle's queue, in
 * the order they were handed over: after those taken earlier and not read yet (`next` up to
 * `hintedEnd`), whose entry takes the fresher view when taken again; a later entry of the same
 * execution (an older view, from the listing) leaves the queue. One already read this cycle is read
 * again: it changed since. Returns the new end of the hinted part of the queue.
 */
export function queueHinted(
  queue: ExecutionView[],
  next: number,
  hintedEnd: number,
  views: readonly ExecutionView[],
): number {
  const end = Math.max(next, hintedEnd);
  const fresh = new Map(views.map((view) => [view.executionId, view]));
  for (let i = next; i < end; i++) {
    const view = fresh.get((queue[i] as ExecutionView).executionId);
    if (view === undefined) continue;
    queue[i] = view;
    fresh.delete(view.executionId);
  }
  for (let i = queue.length - 1; i >= end; i--) {
    if (fresh.has((queue[i] as ExecutionView).executionId)) queue.splice(i, 1);
  }
  queue.splice(end, 0, ...fresh.values());
  return end + fresh.size;
}
