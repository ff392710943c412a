// Starts DynamoDB locally: dynalite in-process on 127.0.0.1, in memory or on a LevelDB directory.
import { mkdir, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { resolve } from 'node:path';
import dynalite from 'dynalite';
import { SandboxError } from './errors';

/** Options of {@link startDynamo}. */
export interface DynamoOptions {
  /**
   * LevelDB data directory; created when missing, kept across restarts.
   * @default in memory (gone on stop)
   */
  readonly path?: string;
  /**
   * Delete the data directory before starting. Ignored without `path`.
   * @default false
   */
  readonly fresh?: boolean;
}

/** A running local DynamoDB. */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>`, for the `endpoint` of a `DynamoDBClient` or `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  /** Closes every connection, then the database, releasing its LevelDB lock. Safe to call twice. */
  stop(): Promise<void>;
}

interface LevelDatabase {
  open(): Promise<void>;
  close(): Promise<void>;
}

type LevelConstructor = new (location: string) => LevelDatabase;

/** Data directories opened by this process, so a second start fails with a clear message. */
const openPaths = new Set<string>();

/**
 * dynalite crashes the process when its LevelDB cannot be opened (a request then hits a closed
 * database), so check the lock first with the `level` package dynalite itself uses.
 */
async function assertLevelDbUsable(path: string): Promise<void> {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const { Level } = fromDynalite('level') as { Level: LevelConstructor };
  const db = new Level(path);
  try {
    await db.open();
  } catch (error) {
    throw new SandboxError(
      `DynamoDB data directory ${path} cannot be opened (is another sandbox using it?).`,
      { cause: error },
    );
  }
  await db.close();
}

/**
 * Starts dynalite on 127.0.0.1 and a free port, with table state changes (create, delete, update)
 * taking no time.
 *
 * @example
 * ```ts
 * const dynamo = await startDynamo({ path: '.local/dynamo' });
 * const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1' });
 * await dynamo.stop();
 * ```
 * @throws {@link SandboxError} when the data directory is in use or the server cannot listen
 */
export async function startDynamo(options: DynamoOptions = {}): Promise<LocalDynamo> {
  const path = options.path === undefined ? undefined : resolve(options.path);
  if (path !== undefined) {
    if (openPaths.has(path))
      throw new SandboxError(`DynamoDB data directory ${path} is already in use by this process.`);
    if (options.fresh === true) await rm(path, { recursive: true, force: true });
    await mkdir(path, { recursive: true });
    await assertLevelDbUsable(path);
    openPaths.add(path);
  }

  const server: Server = dynalite({
    ...(path === undefined ? {} : { path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  // dynalite's close() also closes the database: run it on a listen failure too, to free the lock.
  const close = (): Promise<void> =>
    new Promise<void>((done, fail) => {
      server.close((error?: Error) => (error === undefined || error === null ? done() : fail(error)));
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    }).finally(() => {
      if (path !== undefined) openPaths.delete(path);
    });

  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', fail);
        done();
      });
    });
  } catch (error) {
    await close().catch(() => undefined);
    throw new SandboxError('DynamoDB (dynalite) cannot listen on 127.0.0.1.', { cause: error });
  }

  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => {
      stopping ??= close().catch((error: unknown) => {
        throw new SandboxError('DynamoDB (dynalite) did not shut down cleanly.', { cause: error });
      });
      return stopping;
    },
  };
}
