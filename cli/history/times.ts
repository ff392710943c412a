// Times of the audit trail as people read them: parsing ISO strings, durations in words, console links.

/** Epoch ms of an ISO 8601 time, or null for anything that is not one. */
export function parseTime(value: string | null | undefined): number | null {
  if (typeof value !== 'string') return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

/** ISO 8601 UTC of epoch ms, or null for null or a time that is not finite. */
export function isoOrNull(t: number | null): string | null {
  return t === null || !Number.isFinite(t) ? null : new Date(t).toISOString();
}

/** Seconds from one ISO time to another, to a tenth; null when either is missing. */
export function secondsBetween(start: string | null, end: string | null): number | null {
  const a = parseTime(start);
  const b = parseTime(end);
  if (a === null || b === null) return null;
  return Math.max(0, Math.round((b - a) / 100) / 10);
}

/**
 * A duration in seconds the way a person reads it: `1d 2h 3m 4.5s`, `0s` for nothing, `-` for null.
 *
 * @example
 * ```ts
 * durationWords(3723.5); // '1h 2m 3.5s'
 * ```
 */
export function durationWords(totalSeconds: number | null): string {
  if (totalSeconds === null || !Number.isFinite(totalSeconds)) return '-';
  let seconds = Math.max(0, Math.round(totalSeconds * 10) / 10);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${Number(seconds.toFixed(1))}s`);
  return parts.join(' ');
}

/** What an AWS Region name looks like (`eu-west-1`, `us-gov-east-1`, `cn-north-1`). */
const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/**
 * The Systems Manager console page of an automation execution, or null when the region is not a
 * Region name (it comes from the table, so a made-up value must not become a link).
 */
export function consoleUrl(region: string | null, executionId: string): string | null {
  if (region === null || !REGION_NAME.test(region)) return null;
  return `https://${region}.console.aws.amazon.com/systems-manager/automation/execution/${encodeURIComponent(executionId)}?region=${region}`;
}
