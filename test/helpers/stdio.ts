// Keeps what a test's code writes to stdout and stderr (Powertools' JSON log lines) for assertions, out of the report.
import { vi } from 'vitest';

/** Spies on stdout and stderr so that what is written lands in `into` instead; vitest restores them. */
export function captureStdio(into: string[]): void {
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      into.push(String(chunk));
      return true;
    });
  }
}
