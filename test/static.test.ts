// The static checks the project keeps, run with the tests: the type checker and Biome.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

async function outputOf(command: string, args: string[]): Promise<string> {
  try {
    await run(command, args, { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    return '';
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message;
  }
}

describe('Project: static checks', () => {
  it('type-checks sources and tests with tsc --noEmit', { timeout: 180_000 }, async () => {
    expect(await outputOf('npx', ['tsc', '--noEmit', '-p', '.'])).toBe('');
  });

  it('passes biome ci (format and lint)', { timeout: 120_000 }, async () => {
    expect(await outputOf('npx', ['biome', 'ci', '--reporter=summary', '.'])).toBe('');
  });
});
