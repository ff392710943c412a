// Hostile SSM text (formulas, escape sequences, bidi and zero-width characters) through `step-watch local`, checked byte by byte.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile, type Scenario } from '../../sandbox/scenario';
import { runCli } from '../helpers/cli';
import { forbiddenCharacters } from '../helpers/terminal-text';

const SCENARIO = 'sandbox/scenarios/hostile.json';
const EXECUTION = 'eeeeeeee-0000-4000-8000-000000000001';

/** The cells of a CSV text (RFC 4180 quoting, CRLF or LF records), unquoted. */
function csvCells(text: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text.charAt(i + 1) === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',' || c === '\n') {
      cells.push(cell);
      cell = '';
    } else if (!(c === '\r' && text.charAt(i + 1) === '\n')) {
      cell += c;
    }
  }
  if (cell !== '') cells.push(cell);
  return cells;
}

describe('Command: step-watch local over hostile SSM text', () => {
  let dir: string;
  let scenario: Scenario;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'step-watch-hostile-'));
    scenario = await loadScenarioFile(SCENARIO);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const run = (...extra: string[]) =>
    runCli(
      ['local', '--scenario', SCENARIO, '--interval', '0.5', '--no-hints', '--fresh', ...extra],
      { STEP_WATCH_LOCAL_DIR: join(dir, 'dynamodb') },
      90_000,
    );

  it('prints one clean line per event, keeping the visible text and dropping hidden links', async () => {
    // Act
    const result = await run();

    // Assess
    expect(result.code).toBe(0);
    expect(forbiddenCharacters(result.stdout, { newlines: true })).toEqual([]);
    expect(forbiddenCharacters(result.stderr, { newlines: true })).toEqual([]);
    expect(Buffer.from(result.stdout).includes(0x1b)).toBe(false);
    // The event lines come first; a blank line starts the notification preview, which has its own owner.
    const all = result.stdout.split('\n');
    const end = all.indexOf('');
    const lines = all.slice(0, end === -1 ? all.length : end);
    expect(lines.length).toBeGreaterThanOrEqual(15);
    for (const line of lines) expect(line).toMatch(/^\d\d:\d\d:\d\d {2}(step|alarm|execution) /);
    const events = lines.join('\n');
    expect(events).toContain('=HYPERLINK("http://x")click eeeeeeee-0000-4000-8000-000000000001');
    expect(events).toContain(`"@SUM(1) second line tab"`);
    expect(events).toContain(`"+cmd|' /C calc'!A0 disk lluf"`);
    expect(events).toContain('-2+3+cmdclick: -2+3+cmdalarm-1@SUM(1) is ALARM');
    expect(events).not.toContain('evil.example');
    expect(events).not.toContain('title');
  });

  it('prints --json exactly, with the hostile characters as \\u escapes', async () => {
    // Act
    const result = await run('--json');

    // Assess
    expect(result.code).toBe(0);
    expect(forbiddenCharacters(result.stdout, { newlines: true })).toEqual([]);
    const details = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).detail);
    const [first, second] = scenario.executions;
    expect(new Set(details.map((d) => d.documentName))).toEqual(
      new Set([first?.documentName, second?.documentName]),
    );
    const failures = details.flatMap((d) => (d.step?.failureMessage ? [d.step.failureMessage] : []));
    expect(new Set(failures)).toEqual(
      new Set(first?.steps.map((s) => s.timeline.at(-1)?.failureMessage).filter((m) => m !== undefined)),
    );
    const alarms = details.flatMap((d) => (d.alarm ? [d.alarm.name] : []));
    expect(alarms).toContain(first?.alarms?.[0]?.name);
  });

  // The two runs above leave the same run in the data directory, which history and executions read.
  const read = (...args: string[]) =>
    runCli([...args, '--local'], { STEP_WATCH_LOCAL_DIR: join(dir, 'dynamodb') }, 60_000);

  it.each([['history', EXECUTION], ['executions']])(
    'prints %s as a table with no forbidden character, the visible text kept',
    async (...command) => {
      // Act
      const result = await read(...command, '--format', 'table');

      // Assess
      expect(result.code, result.stderr).toBe(0);
      expect(forbiddenCharacters(result.stdout, { newlines: true })).toEqual([]);
      expect(result.stdout).toContain('=HYPERLINK("http://x")click');
      expect(result.stdout).not.toContain('evil.example');
    },
  );

  it.each([['history', EXECUTION], ['executions']])(
    'prints %s as JSON that is exact yet carries no forbidden character raw',
    async (...command) => {
      // Act
      const result = await read(...command, '--format', 'json');

      // Assess: the hostile characters are \u escapes, and parse back to SSM's text
      expect(result.code, result.stderr).toBe(0);
      expect(forbiddenCharacters(result.stdout, { newlines: true })).toEqual([]);
      const parsed = JSON.stringify(JSON.parse(result.stdout));
      expect(parsed).toMatch(/[\u202e\u2066-\u2069\u200b]/);
    },
  );

  it.each([['history', EXECUTION], ['executions']])(
    'prints %s as CSV whose every cell is free of controls and starts no formula',
    async (...command) => {
      // Act
      const result = await read(...command, '--format', 'csv');

      // Assess
      expect(result.code, result.stderr).toBe(0);
      expect(forbiddenCharacters(result.stdout.replaceAll('\r\n', '\n'), { newlines: true })).toEqual([]);
      const cells = csvCells(result.stdout);
      expect(cells).toContain('\'=HYPERLINK("http://x")click');
      expect(cells.filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
    },
  );
});
