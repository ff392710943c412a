// The order of `step-watch executions`: trees newest first, each execution followed by its children, streamed from the newest-first index.
import type { ExecutionListing } from '../../lambda/core/history';

/** An execution as `executions` lists it: where it sits in its tree. */
export interface ListedExecution {
  readonly listing: ExecutionListing;
  /** How many of its ancestors are listed above it: 0 for a top-level row, 1 under a listed parent, … */
  readonly depth: number;
}

/**
 * Newest first, by start time (ISO text, as the index sorts it), then by execution id; a listing
 * without a start time sorts last.
 */
export function compareNewestFirst(a: ExecutionListing, b: ExecutionListing): number {
  const sa = a.startTime ?? '';
  const sb = b.startTime ?? '';
  if (sa !== sb) return sa < sb ? 1 : -1;
  return a.executionId < b.executionId ? -1 : a.executionId > b.executionId ? 1 : 0;
}

/**
 * Puts listings read newest first (the byStart index) into tree order, lazily: the executions without
 * a parent, newest first (ties by id), each followed by its children, newest first, recursively. A
 * child starts after its parent, so it is read first: it is held until its parent is read (at most
 * one run's children at a time). A child whose parent is never read (the parent started before
 * `--since`, or the table does not know it) comes after every tree, as the top of a tree of its own.
 *
 * Only the listings `matches` accepts are yielded; one it refuses still places its children, which
 * then sit one level higher (`depth` counts listed ancestors).
 *
 * @example
 * ```ts
 * for await (const { listing, depth } of inTreeOrder(reader.executions(), (l) => l.status === 'Failed')) …
 * ```
 */
export async function* inTreeOrder(
  newestFirst: AsyncIterable<ExecutionListing>,
  matches: (listing: ExecutionListing) => boolean = () => true,
): AsyncGenerator<ListedExecution> {
  const childrenOf = new Map<string, ExecutionListing[]>();
  // Roots read but not yet yielded: a root read later with the same start time may sort before them,
  // and a child with the same start time as its parent may still come.
  let ready: ExecutionListing[] = [];

  function* tree(top: ExecutionListing, depth: number, path: Set<string>): Generator<ListedExecution> {
    // A parent link that loops (corrupt data) must not loop the listing.
    if (path.has(top.executionId)) return;
    const listed = matches(top);
    if (listed) yield { listing: top, depth };
    const children = childrenOf.get(top.executionId) ?? [];
    childrenOf.delete(top.executionId);
    path.add(top.executionId);
    for (const child of children.sort(compareNewestFirst))
      yield* tree(child, listed ? depth + 1 : depth, path);
    path.delete(top.executionId);
  }

  function* flush(olderThan: string | null): Generator<ListedExecution> {
    const due = ready.filter((root) => olderThan === null || (root.startTime ?? '') > olderThan);
    if (due.length === 0) return;
    ready = ready.filter((root) => !due.includes(root));
    for (const root of due.sort(compareNewestFirst)) yield* tree(root, 0, new Set());
  }

  for await (const listing of newestFirst) {
    yield* flush(listing.startTime ?? '');
    const parent = listing.parentExecutionId;
    if (parent === null) {
      ready.push(listing);
      continue;
    }
    const siblings = childrenOf.get(parent);
    if (siblings) siblings.push(listing);
    else childrenOf.set(parent, [listing]);
  }
  yield* flush(null);

  // What is left is held under parents never read: the tops are those whose own parent is not held.
  const held = new Set([...childrenOf.values()].flat().map((listing) => listing.executionId));
  const orphans: ExecutionListing[] = [];
  for (const [parent, children] of childrenOf) {
    if (held.has(parent)) continue;
    orphans.push(...children);
    childrenOf.delete(parent);
  }
  orphans.sort(compareNewestFirst);
  for (const orphan of orphans) yield* tree(orphan, 0, new Set());
  // Only a loop of parent links is left now; its listings are still listed, once each.
  const looped = [...childrenOf.values()].flat().sort(compareNewestFirst);
  childrenOf.clear();
  for (const listing of looped) yield* tree(listing, 0, new Set());
}

/** The first `limit` items; stops reading (and so paging) once it has them. */
export async function* takeFirst<T>(items: AsyncIterable<T>, limit: number | undefined): AsyncGenerator<T> {
  if (limit === undefined) {
    yield* items;
    return;
  }
  if (limit <= 0) return;
  let taken = 0;
  for await (const item of items) {
    yield item;
    taken++;
    if (taken >= limit) return;
  }
}
