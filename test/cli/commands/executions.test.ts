// Unit tests of the flags of `step-watch executions`: --status, --limit, and what a listing must match.
import { describe, expect, it } from 'vitest';
import { listingMatcher, parseLimit } from '../../../cli/commands/executions';
import { UsageError } from '../../../cli/errors';
import type { ExecutionListing } from '../../../lambda/core/history';

describe('Function: parseLimit', () => {
  it('reads a whole number of at least 1', () => {
    expect(parseLimit('1')).toBe(1);
    expect(parseLimit(' 250 ')).toBe(250);
  });

  it('refuses anything else', () => {
    for (const bad of ['0', '-3', '2.5', '1e3', 'ten', '', '99999999999999999999']) {
      expect(() => parseLimit(bad)).toThrow(UsageError);
    }
    expect(() => parseLimit('0')).toThrow(
      'executions: --limit must be a whole number of at least 1; got "0".',
    );
  });
});

describe('Function: listingMatcher', () => {
  const listing = (status: string, documentName: string) => ({ status, documentName }) as ExecutionListing;

  it('matches any of the statuses and the document prefix', () => {
    const matches = listingMatcher(['Failed', 'TimedOut'], 'AWS-Restart');

    expect(
      [
        listing('Failed', 'AWS-RestartEC2Instance'),
        listing('TimedOut', 'AWS-RestartEC2Instance'),
        listing('Success', 'AWS-RestartEC2Instance'),
        listing('Failed', 'AWS-CreateImage'),
      ].map(matches),
    ).toEqual([true, true, false, false]);
  });

  it('matches everything without filters', () => {
    expect(listingMatcher([], undefined)(listing('Whatever', 'Doc'))).toBe(true);
  });
});
