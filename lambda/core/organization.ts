// An Organization as the poller sees it: which accounts and regions are in scope, and the shards they make.
import { DEFAULT_MEMBER_ROLE_NAME } from './defaults';
import { ConfigError } from './errors';

/**
 * The (account, region) one poll cycle watches, and the role to assume in that account (absent for
 * the poller's own account). The poller's wiring (`lambda/runtime/poller.ts`) re-exports it.
 */
export interface ShardTarget {
  readonly account: string;
  readonly region: string;
  readonly roleArn?: string;
}

/** Which part of an Organization the poller watches (the `ORGANIZATION` variable, as JSON). */
export interface OrganizationScope {
  /** Regions read in every account in scope. */
  readonly regions: string[];
  /** Only accounts under these OUs (or roots), at any depth. @default the whole Organization */
  readonly organizationalUnits?: string[];
  /** Only these accounts (of those found). @default every account found */
  readonly accounts?: string[];
  /** Accounts left out whatever the other fields say. @default none */
  readonly excludeAccounts?: string[];
  /** The reader role's name in every member account. @default {@link DEFAULT_MEMBER_ROLE_NAME} */
  readonly memberRoleName: string;
}

/** One account of the Organization; `state` is Organizations' `State` (`ACTIVE`, `SUSPENDED`, …). */
export interface OrgAccount {
  readonly id: string;
  /** `PENDING_ACTIVATION`, `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE` or `CLOSED`; anything else is kept as is. */
  readonly state: string;
}

/** Where the shards' role ARNs point: the poller's own account (no role) and the ARN partition. */
export interface ShardContext {
  readonly homeAccount: string;
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string;
}

/** The only state in which an account is read: the others cannot be, or soon cannot be, signed in to. */
export const ACTIVE_ACCOUNT_STATE = 'ACTIVE';

const ACCOUNT_ID = /^\d{12}$/;
/** AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** Organizations' `ParentId`: a root (`r-…`) or an OU (`ou-…-…`). */
const PARENT_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
/** IAM role names: 1-64 of letters, digits and `+=,.@_-`. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** Keys the scope may carry; `callAs` belongs to the StackSets and is ignored here. */
const KNOWN_KEYS = new Set([
  'regions',
  'organizationalUnits',
  'accounts',
  'excludeAccounts',
  'memberRoleName',
  'callAs',
]);

/**
 * Parses and validates the `ORGANIZATION` variable, collecting every problem into one ConfigError.
 *
 * @example
 * const scope = parseOrganizationScope('{"regions":["eu-west-1","us-east-1"]}');
 * // scope.memberRoleName === 'ssm-step-watch-reader'
 */
export function parseOrganizationScope(json: string): OrganizationScope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError('Invalid configuration: ORGANIZATION must be a JSON object.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('Invalid configuration: ORGANIZATION must be a JSON object.');
  }
  const raw = parsed as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) problems.push(`ORGANIZATION.${key} is not a known key`);
  }
  const list = (key: string, pattern: RegExp, what: string, required: boolean): string[] | undefined => {
    const value = raw[key];
    if (value === undefined || value === null) {
      if (required) problems.push(`ORGANIZATION.${key} is required`);
      return undefined;
    }
    if (!Array.isArray(value) || (required && value.length === 0)) {
      problems.push(`ORGANIZATION.${key} must be a${required ? ' non-empty' : 'n'} array of ${what}`);
      return undefined;
    }
    const bad = value.filter((item) => typeof item !== 'string' || !pattern.test(item));
    if (bad.length > 0) {
      problems.push(
        `ORGANIZATION.${key} must hold ${what}, got ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
      );
    }
    return [...new Set(value.filter((item): item is string => typeof item === 'string'))];
  };
  const regions = list('regions', REGION, 'region names', true) ?? [];
  const organizationalUnits = list('organizationalUnits', PARENT_ID, 'OU or root ids', false);
  const accounts = list('accounts', ACCOUNT_ID, '12-digit account ids', false);
  const excludeAccounts = list('excludeAccounts', ACCOUNT_ID, '12-digit account ids', false);
  const roleName = raw.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME;
  if (typeof roleName !== 'string' || !ROLE_NAME.test(roleName)) {
    problems.push(
      `ORGANIZATION.memberRoleName must be 1-64 letters, digits or +=,.@_-, got ${JSON.stringify(roleName)}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}.`);
  return {
    regions,
    ...(organizationalUnits && { organizationalUnits }),
    ...(accounts && { accounts }),
    ...(excludeAccounts && { excludeAccounts }),
    memberRoleName: roleName as string,
  };
}

/** Whether an account is in scope by the scope's account lists (OUs are applied when listing). */
export function accountInScope(account: string, scope: OrganizationScope): boolean {
  if (scope.excludeAccounts?.includes(account)) return false;
  return scope.accounts === undefined || scope.accounts.includes(account);
}

/** The role ARN the poller assumes to read a member account. */
export function memberRoleArn(
  account: string,
  scope: Pick<OrganizationScope, 'memberRoleName'>,
  partition: string,
): string {
  return `arn:${partition}:iam::${account}:role/${scope.memberRoleName}`;
}

/**
 * The shards of an Organization: every ACTIVE account in scope times every region, sorted by account
 * then region, each account once; the home account is read without a role.
 *
 * @example
 * shardsOf([{ id: '111111111111', state: 'ACTIVE' }], scope, { homeAccount: '999999999999', partition: 'aws' });
 * // [{ account: '111111111111', region: 'eu-west-1', roleArn: 'arn:aws:iam::111111111111:role/ssm-step-watch-reader' }]
 */
export function shardsOf(
  accounts: readonly OrgAccount[],
  scope: OrganizationScope,
  context: ShardContext,
): ShardTarget[] {
  const ids = [
    ...new Set(
      accounts
        .filter((account) => account.state === ACTIVE_ACCOUNT_STATE && accountInScope(account.id, scope))
        .map((account) => account.id),
    ),
  ].sort();
  const regions = [...new Set(scope.regions)].sort();
  return ids.flatMap((account) =>
    regions.map((region) => ({
      account,
      region,
      ...(account !== context.homeAccount && {
        roleArn: memberRoleArn(account, scope, context.partition),
      }),
    })),
  );
}
