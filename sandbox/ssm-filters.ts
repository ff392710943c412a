// Request validation of SSM's Describe calls: filters (keys of the SSM model, values, matchers) and MaxResults.
import { WireError } from './http';

type Json = Record<string, unknown>;

/** Most items one page may hold, and the page size when `MaxResults` is not given. */
const MAX_PAGE = 50;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** `AutomationExecutionFilterKey` of the SSM model. */
export const EXECUTION_FILTER_KEYS = [
  'DocumentNamePrefix',
  'ExecutionStatus',
  'ExecutionId',
  'ParentExecutionId',
  'CurrentAction',
  'StartTimeBefore',
  'StartTimeAfter',
  'AutomationType',
  'TagKey',
  'TargetResourceGroup',
  'AutomationSubtype',
  'OpsItemId',
] as const;

/** `StepExecutionFilterKey` of the SSM model. */
export const STEP_FILTER_KEYS = [
  'StartTimeBefore',
  'StartTimeAfter',
  'StepExecutionStatus',
  'StepExecutionId',
  'StepName',
  'Action',
  'ParentStepExecutionId',
  'ParentStepIteration',
  'ParentStepIteratorValue',
] as const;

/** Whether an item passes one filter. */
export type Matcher<T> = (item: T) => boolean;

/** Builds the {@link Matcher} of one filter from its values and key. */
export type MatcherFactory<T> = (values: readonly string[], key: string) => Matcher<T>;

/** A 400 `ValidationException` worded as SSM words it. */
export function validationError(message: string): WireError {
  return new WireError(400, 'ValidationException', `1 validation error detected: ${message}`);
}

function parseTime(value: string, key: string): number {
  const ms = ISO_8601.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new WireError(
      400,
      'InvalidFilterValue',
      `The filter value ${value} for ${key} is not a valid ISO 8601 date-time, e.g. 2026-11-25T14:00:00Z.`,
    );
  }
  return ms;
}

/**
 * `StartTimeAfter` / `StartTimeBefore`: an item without start time (a step not started) never
 * matches. Time values are parsed when the filter is read, so a bad one fails even when nothing
 * would be compared to it.
 */
export function startTimeFilter<T extends { readonly startMs: number | undefined }>(
  side: 'after' | 'before',
  inclusive: boolean,
): MatcherFactory<T> {
  return (values, key) => {
    const bounds = values.map((value) => parseTime(value, key));
    return (item) => {
      const start = item.startMs;
      if (start === undefined) return false;
      return bounds.some((bound) =>
        side === 'after'
          ? start > bound || (inclusive && start === bound)
          : start < bound || (inclusive && start === bound),
      );
    };
  };
}

/** A filter that matches an item whose picked value is one of the filter's values. */
export const equalsFilter =
  <T>(pick: (item: T) => string | null | undefined): MatcherFactory<T> =>
  (values) =>
  (item) => {
    const value = pick(item);
    return value !== null && value !== undefined && values.includes(value);
  };

/**
 * `ParentStepIteration`: values are whole numbers in decimal (`Iteration` is an integer in the
 * model); anything else is `InvalidFilterValue`, like a start time that is not one. A step outside a
 * loop has no iteration and never matches.
 */
export const iterationFilter =
  <T>(pick: (item: T) => number | undefined): MatcherFactory<T> =>
  (values, key) => {
    const iterations = values.map((value) => {
      if (!/^\d{1,9}$/.test(value)) {
        throw new WireError(
          400,
          'InvalidFilterValue',
          `The filter value ${value} for ${key} is not a valid iteration, a whole number such as 1.`,
        );
      }
      return Number(value);
    });
    return (item) => {
      const iteration = pick(item);
      return iteration !== undefined && iterations.includes(iteration);
    };
  };

/**
 * The matchers of a request's `Filters`: validated as SSM validates them (at most `maxFilters`
 * filters, keys of `modelKeys`, 1 to 10 values of 1 to 150 characters); a model key the simulator
 * does not support is answered `InvalidFilterKey`. No filters: no matchers.
 *
 * @throws {@link WireError} for a request SSM would refuse
 */
export function parseFilters<T>(
  raw: unknown,
  maxFilters: number,
  modelKeys: readonly string[],
  supported: Readonly<Record<string, MatcherFactory<T>>>,
): Matcher<T>[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > maxFilters) {
    throw validationError(
      `Value at 'filters' failed to satisfy constraint: Member must have length between 1 and ${maxFilters}`,
    );
  }
  return raw.map((filter: unknown, i) => {
    const member = `filters.${i + 1}.member`;
    const { Key: key, Values: values } = (
      typeof filter === 'object' && filter !== null ? filter : {}
    ) as Json;
    if (typeof key !== 'string') {
      throw validationError(
        `Value null at '${member}.key' failed to satisfy constraint: Member must not be null`,
      );
    }
    if (!modelKeys.includes(key)) {
      throw validationError(
        `Value '${key}' at '${member}.key' failed to satisfy constraint: Member must satisfy enum value set: [${modelKeys.join(', ')}]`,
      );
    }
    if (
      !Array.isArray(values) ||
      values.length < 1 ||
      values.length > 10 ||
      !values.every((value) => typeof value === 'string' && value.length >= 1 && value.length <= 150)
    ) {
      throw validationError(
        `Value at '${member}.values' failed to satisfy constraint: Member must have length between 1 and 10, each value 1 to 150 characters`,
      );
    }
    const factory = supported[key];
    if (factory === undefined) {
      throw new WireError(
        400,
        'InvalidFilterKey',
        `The filter key ${key} is not supported by the simulator.`,
      );
    }
    return factory(values as string[], key);
  });
}

/** The filter keys of a request whose filters passed {@link parseFilters}. */
export function filterKeys(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.map((filter) => String((filter as Json).Key)) : [];
}

/** The page size a request asks for (1 to 50), 50 when it asks for none. @throws {@link WireError} */
export function parseMaxResults(raw: unknown): number {
  if (raw === undefined || raw === null) return MAX_PAGE;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > MAX_PAGE) {
    throw validationError(
      `Value '${String(raw)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and ${MAX_PAGE}`,
    );
  }
  return raw;
}
