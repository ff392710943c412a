// Starts moto's server, which serves DynamoDB, EventBridge, SQS and STS APIs this project did not write.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** Set by `.ci/run`: there a missing moto fails the tests that need it instead of skipping them. */
export const REQUIRE_MOTO_ENV = 'STEP_WATCH_REQUIRE_MOTO';

let missing: string | null | undefined;

/**
 * Why moto cannot run on this machine, or `null` when it can: whether `python3` imports `moto.server`
 * (the server needs moto's `server` extra as well as moto itself). Asked once per test process.
 */
export function motoMissing(): string | null {
  if (missing === undefined) {
    const probe = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8', timeout: 30_000 });
    const detail = probe.error?.message ?? probe.stderr.trim().split('\n').at(-1) ?? '';
    missing =
      probe.status === 0
        ? null
        : `needs Python's moto server (pip install 'moto[server]'), and python3 -c 'import moto.server' failed: ${detail}`;
  }
  return missing;
}

/**
 * Skips the calling test, with the reason in vitest's output, when moto cannot run here; when
 * `STEP_WATCH_REQUIRE_MOTO=1` (CI) it fails the test instead.
 */
export function skipWithoutMoto(skip: (note: string) => never): void {
  const reason = motoMissing();
  if (reason === null) return;
  if (process.env[REQUIRE_MOTO_ENV] === '1') {
    throw new Error(`This test ${reason} (${REQUIRE_MOTO_ENV}=1 makes that a failure, not a skip)`);
  }
  console.warn(`skipped: this test ${reason}`);
  skip(`this test ${reason}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A running moto server: an independent implementation of many AWS APIs. */
export interface Moto {
  readonly endpoint: string;
  stop(): void;
}

/** Starts moto's server (`python3 -m moto.server`) on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`moto's server could not start: ${error.message}`)));
    child.once('exit', (code) =>
      reject(new Error(`moto's server exited with code ${code} before it answered`)),
    );
  });
  // Only the wait below listens: once moto answers, stop() ending it is no failure.
  failed.catch(() => undefined);
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const up = await Promise.race([
      fetch(`${endpoint}/moto-api/`).then(
        () => true,
        () => false,
      ),
      failed,
    ]);
    if (up) return { endpoint, stop: () => child.kill() };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error("moto's server did not answer within 10 s");
}
