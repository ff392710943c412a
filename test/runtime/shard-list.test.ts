// Tests of the static shard list: SHARDS, or the bundle's shards.json named by SHARDS_FILE.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readShardSource, shardsOfList } from '../../lambda/runtime/shard-list';

const DEV = '111111111111';

describe('Function: readShardSource', () => {
  let bundle: string;

  beforeEach(() => {
    bundle = mkdtempSync(join(tmpdir(), 'shard-list-'));
  });

  afterEach(() => {
    rmSync(bundle, { recursive: true, force: true });
  });

  it('reads the file SHARDS_FILE names, relative to LAMBDA_TASK_ROOT', () => {
    // Prepare
    writeFileSync(join(bundle, 'shards.json'), JSON.stringify([{ account: DEV, region: 'eu-west-1' }, {}]));
    const problems: string[] = [];

    // Act
    const specs = readShardSource({ SHARDS_FILE: 'shards.json', LAMBDA_TASK_ROOT: bundle }, problems);

    // Assess
    expect(problems).toEqual([]);
    expect(shardsOfList(specs, { account: '999999999999', region: 'us-east-1' })).toEqual([
      { account: DEV, region: 'eu-west-1' },
      { account: '999999999999', region: 'us-east-1' },
    ]);
  });

  it('prefers SHARDS to SHARDS_FILE, and gives null for neither', () => {
    const problems: string[] = [];

    expect(
      readShardSource({ SHARDS: '[{"region":"eu-west-1"}]', SHARDS_FILE: 'missing.json' }, problems),
    ).toEqual([{ region: 'eu-west-1' }]);
    expect(readShardSource({}, problems)).toBeNull();
    expect(problems).toEqual([]);
  });

  it('reads an absolute SHARDS_FILE as it is', () => {
    const path = join(bundle, 'list.json');
    writeFileSync(path, '[{"account":"111111111111"}]');
    const problems: string[] = [];

    expect(readShardSource({ SHARDS_FILE: path, LAMBDA_TASK_ROOT: '/nowhere' }, problems)).toEqual([
      { account: DEV },
    ]);
    expect(problems).toEqual([]);
  });

  it.each([
    ['missing', undefined, `SHARDS_FILE names {bundle}/shards.json, which cannot be read (ENOENT)`],
    ['empty', '  ', 'SHARDS_FILE {bundle}/shards.json is empty'],
    [
      'not JSON',
      'nope',
      'SHARDS_FILE shards.json must be a JSON array of { account, region, roleArn } objects',
    ],
    [
      'a bad entry',
      '[{"account":"1234"}]',
      'SHARDS_FILE shards.json[0].account must be 12 digits, got "1234"',
    ],
  ])('names the problem of a file that is %s', (_, content, problem) => {
    // Prepare
    if (content !== undefined) writeFileSync(join(bundle, 'shards.json'), content);
    const problems: string[] = [];

    // Act
    const specs = readShardSource({ SHARDS_FILE: 'shards.json', LAMBDA_TASK_ROOT: bundle }, problems);

    // Assess
    expect(problems).toEqual([problem.replace('{bundle}', bundle)]);
    if (content !== '[{"account":"1234"}]') expect(specs).toBeNull();
  });
});
