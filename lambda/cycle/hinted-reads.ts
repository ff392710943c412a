// The lease holder's side of the hint inbox: open while reading, take what was handed over once a second, close only when empty.
import type { HintInbox } from '../core/ports';
import type { ExecutionView } from '../core/types';

/** How often a cycle holding the lease looks into the hint inbox while it reads. */
export const INBOX_LOOK_MS = 1000;

/**
 * Serves a cycle's hint inbox: {@link InboxReader.open} opens it until the cycle stops reading;
 * {@link InboxReader.look} takes the ids handed over since the last look (at most once a second)
 * while the queue runs; {@link InboxReader.drain}, once the queue is done, closes the inbox or
 * returns what still waits in it. It only takes ids: what to read, and when, is {@link HintedWork}'s.
 */
export class InboxReader {
  /** Execution ids taken from the inbox this cycle. */
  taken = 0;
  readonly #inbox: HintInbox;
  readonly #shard: string;
  readonly #now: () => number;
  #lastLook = Number.NEGATIVE_INFINITY;
  #closed = false;

  private constructor(inbox: HintInbox, shard: string, now: () => number) {
    this.#inbox = inbox;
    this.#shard = shard;
    this.#now = now;
  }

  /** Opens the shard's inbox until `until` (epoch ms), when the cycle stops reading for sure. */
  static async open(inbox: HintInbox, shard: string, now: () => number, until: number): Promise<InboxReader> {
    await inbox.open(shard, until);
    return new InboxReader(inbox, shard, now);
  }

  /**
   * While executions are still queued: the ids handed over since the last look, none when looked
   * less than a second ago, or out of time (`late`), or closed.
   */
  async look(late: () => boolean): Promise<string[]> {
    if (this.#closed || late() || this.#now() - this.#lastLook < INBOX_LOOK_MS) return [];
    return this.#take();
  }

  /**
   * Once the queue is done: the ids waiting, or none once the inbox closed empty. Out of time
   * (`late`), none: the inbox closes and what waits stays for the next holder.
   */
  async drain(late: () => boolean): Promise<string[]> {
    if (this.#closed) return [];
    while (!late()) {
      if (await this.#inbox.close(this.#shard)) {
        this.#closed = true;
        return [];
      }
      const ids = await this.#take();
      if (ids.length > 0) return ids;
    }
    await this.stop();
    return [];
  }

  /**
   * Leaves executions this holder could not read in the inbox for the next holder, which takes them
   * first; the inbox is closed by then, so nobody else hands anything to this one.
   */
  async handBack(executionIds: readonly string[]): Promise<void> {
    const ids = [...new Set(executionIds)];
    if (ids.length > 0) await this.#inbox.park(this.#shard, ids);
  }

  /** Closes the inbox whatever waits in it, as a cycle that stops reading early does; once. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#inbox.forceClose(this.#shard);
  }

  async #take(): Promise<string[]> {
    this.#lastLook = this.#now();
    const ids = await this.#inbox.take(this.#shard);
    this.taken += ids.length;
    return ids;
  }
}

/**
 * What a cycle owes the executions taken from its hint inbox. A hinted execution still ahead in the
 * queue is read *in turn* (the cycle moves it up, but reads it with the view it started with), so
 * once the queue is done it is looked at again (by id, ten a call) and read again only when its
 * status moved since. One already read this cycle, or not in the queue, is *extra* work: the cycle
 * takes it ({@link HintedWork.takeExtra}) and reads it next, or, handed over once the queue is done,
 * reads it then.
 */
export class HintedWork {
  /** Hinted while ahead in the queue, not read yet. */
  readonly #inTurn = new Set<string>();
  /** Hinted while ahead, then read in turn with a view of this status. */
  readonly #readWith = new Map<string, string>();
  /** Hinted once read, or while not in the queue. */
  readonly #extra = new Set<string>();

  /** Sorts ids taken from the inbox while the cycle is at `queue[next]`. */
  note(ids: readonly string[], queue: readonly { readonly executionId: string }[], next: number): void {
    for (const id of ids) {
      if (aheadIn(queue, next, id)) {
        this.#inTurn.add(id);
        continue;
      }
      this.#inTurn.delete(id);
      this.#readWith.delete(id);
      this.#extra.add(id);
    }
  }

  /** The cycle serves `view` in turn now (it reads it, or finds nothing to read). */
  served(view: ExecutionView): void {
    if (!this.#inTurn.delete(view.executionId)) return;
    if (!this.#extra.has(view.executionId)) this.#readWith.set(view.executionId, view.status);
  }

  /** The executions to look at again once the queue is done, by id; none when nothing is owed. */
  owed(): string[] {
    return [...new Set([...this.#extra, ...this.#readWith.keys()])];
  }

  /** The extra executions owed, which are no longer owed once taken: the caller reads them now. */
  takeExtra(): string[] {
    const extra = [...this.#extra];
    this.#extra.clear();
    return extra;
  }

  /** The extra executions owed (those never read after their hint); the others were read in turn. */
  extra(): string[] {
    return [...this.#extra];
  }

  /**
   * Of fresh views of the {@link HintedWork.owed} executions, those to read now: every extra one,
   * and one read in turn whose status moved since. Nothing is owed afterwards.
   */
  select(views: readonly ExecutionView[]): ExecutionView[] {
    const chosen = views.filter(
      (view) =>
        this.#extra.has(view.executionId) ||
        (this.#readWith.has(view.executionId) && this.#readWith.get(view.executionId) !== view.status),
    );
    this.clear();
    return chosen;
  }

  /** Forgets what is owed (the cycle stops reading; the schedule reads every execution anyway). */
  clear(): void {
    this.#extra.clear();
    this.#readWith.clear();
  }
}

function aheadIn(queue: readonly { readonly executionId: string }[], next: number, id: string): boolean {
  for (let i = next; i < queue.length; i++) if (queue[i]?.executionId === id) return true;
  return false;
}
