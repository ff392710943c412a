// A model of AWS Organizations for the sandbox: a root, OUs and accounts that join and leave, and its List calls.
import { createHmac, randomBytes } from 'node:crypto';
import { SandboxError } from './errors';
import { WireError } from './http';

/** `AccountState` of the Organizations model. */
export type SandboxAccountState =
  | 'PENDING_ACTIVATION'
  | 'ACTIVE'
  | 'SUSPENDED'
  | 'PENDING_CLOSURE'
  | 'CLOSED';

/** One member account. */
export interface SandboxAccount {
  readonly id: string;
  readonly name: string;
  /** The root or OU it is directly in. */
  readonly parentId: string;
  readonly state: SandboxAccountState;
  /** Epoch ms it joined. */
  readonly joinedAt: number;
}

/** One organizational unit. */
export interface SandboxOrganizationalUnit {
  readonly id: string;
  readonly name: string;
  readonly parentId: string;
}

/** Options of {@link OrganizationModel}. */
export interface OrganizationModelOptions {
  /** The management account (listed as a member, like AWS does). */
  readonly managementAccount: string;
  /** Accounts that may call the List operations besides the management account. @default none */
  readonly delegatedAdministrators?: readonly string[];
  /** @default 'r-sbx1' */
  readonly rootId?: string;
  /** @default 'o-sandbox001' */
  readonly organizationId?: string;
  /**
   * Items a page holds when the request gives no `MaxResults`; Organizations does not document its
   * default, and may return fewer than asked with a `NextToken`.
   * @default 20
   */
  readonly pageSize?: number;
  /** Clock of `JoinedTimestamp`. @default Date.now */
  readonly clock?: () => number;
}

type Json = Record<string, unknown>;

/** The operations the model answers (target prefix `AWSOrganizationsV20161128`). */
export const ORGANIZATIONS_OPERATIONS = [
  'DescribeOrganization',
  'ListAccounts',
  'ListAccountsForParent',
  'ListOrganizationalUnitsForParent',
  'ListRoots',
] as const;

/** `X-Amz-Target` prefix of Organizations' JSON 1.1 protocol. */
export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128';

const ACCOUNT_ID = /^\d{12}$/;
const PARENT_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
/** The `Status` enum (to be retired) has no CLOSED or PENDING_ACTIVATION. */
const STATUS_OF_STATE: Readonly<Record<string, string>> = {
  ACTIVE: 'ACTIVE',
  SUSPENDED: 'SUSPENDED',
  PENDING_CLOSURE: 'PENDING_CLOSURE',
};

/**
 * An Organization: a root, OUs under it, accounts in the root or an OU. Accounts join
 * ({@link OrganizationModel.addAccount}), leave ({@link OrganizationModel.removeAccount}) and change
 * state at any time; the List calls show the Organization as it is when they are made. Shapes follow
 * the botocore model `organizations/2016-11-28/service-2.json`.
 *
 * @example
 * ```ts
 * const org = new OrganizationModel({ managementAccount: '999999999999' });
 * org.addAccount({ id: '111111111111' });
 * ```
 */
export class OrganizationModel {
  readonly managementAccount: string;
  readonly rootId: string;
  readonly organizationId: string;
  readonly #delegated: ReadonlySet<string>;
  readonly #pageSize: number;
  readonly #clock: () => number;
  readonly #accounts = new Map<string, SandboxAccount>();
  readonly #units = new Map<string, SandboxOrganizationalUnit>();
  readonly #tokenSecret = randomBytes(32);

  constructor(options: OrganizationModelOptions) {
    if (!ACCOUNT_ID.test(options.managementAccount)) {
      throw new SandboxError(`managementAccount must be 12 digits (got "${options.managementAccount}").`);
    }
    this.managementAccount = options.managementAccount;
    this.rootId = options.rootId ?? 'r-sbx1';
    this.organizationId = options.organizationId ?? 'o-sandbox001';
    this.#delegated = new Set(options.delegatedAdministrators ?? []);
    this.#pageSize = options.pageSize ?? 20;
    this.#clock = options.clock ?? Date.now;
    this.addAccount({ id: this.managementAccount, name: 'management' });
  }

  /** Adds an OU under the root or another OU. @throws {@link SandboxError} for a bad id or unknown parent */
  addOrganizationalUnit(unit: { id: string; name?: string; parentId?: string }): void {
    const parentId = unit.parentId ?? this.rootId;
    if (!PARENT_ID.test(unit.id) || !unit.id.startsWith('ou-')) {
      throw new SandboxError(`An OU id is ou-<4-32 chars>-<8-32 chars> (got "${unit.id}").`);
    }
    this.#requireParent(parentId);
    this.#units.set(unit.id, { id: unit.id, name: unit.name ?? unit.id, parentId });
  }

  /** An account joins (or moves): ACTIVE in the root unless told otherwise. @throws {@link SandboxError} */
  addAccount(account: { id: string; name?: string; parentId?: string; state?: SandboxAccountState }): void {
    if (!ACCOUNT_ID.test(account.id))
      throw new SandboxError(`An account id is 12 digits (got "${account.id}").`);
    const parentId = account.parentId ?? this.rootId;
    this.#requireParent(parentId);
    const previous = this.#accounts.get(account.id);
    this.#accounts.set(account.id, {
      id: account.id,
      name: account.name ?? previous?.name ?? `account-${account.id}`,
      parentId,
      state: account.state ?? previous?.state ?? 'ACTIVE',
      joinedAt: previous?.joinedAt ?? this.#clock(),
    });
  }

  /** An account leaves the Organization: no List call shows it any more. @throws {@link SandboxError} */
  removeAccount(id: string): void {
    if (id === this.managementAccount) throw new SandboxError('The management account cannot leave.');
    if (!this.#accounts.delete(id)) throw new SandboxError(`removeAccount: no account ${id}.`);
  }

  /** Changes an account's state (e.g. SUSPENDED, CLOSED). @throws {@link SandboxError} for an unknown account */
  setAccountState(id: string, state: SandboxAccountState): void {
    const account = this.#accounts.get(id);
    if (account === undefined) throw new SandboxError(`setAccountState: no account ${id}.`);
    this.#accounts.set(id, { ...account, state });
  }

  /** The member accounts now, in the order they joined. */
  accounts(): SandboxAccount[] {
    return [...this.#accounts.values()];
  }

  /** The account with this id, if it is a member now. */
  account(id: string): SandboxAccount | undefined {
    return this.#accounts.get(id);
  }

  /** Whether an account may call the List operations (management account or delegated administrator). */
  mayList(account: string): boolean {
    return account === this.managementAccount || this.#delegated.has(account);
  }

  /**
   * Answers one List operation called by `caller` (an account id), as Organizations would.
   * @throws {@link WireError} as Organizations' errors: AccessDeniedException, ParentNotFoundException,
   * InvalidInputException, and UnknownOperationException for an operation it does not model
   */
  serve(operation: string, input: Json, caller: string): Json {
    if (!(ORGANIZATIONS_OPERATIONS as readonly string[]).includes(operation)) {
      throw new WireError(400, 'UnknownOperationException', `The sandbox does not implement ${operation}.`);
    }
    // Any account of the Organization may describe it (botocore model: "from any account in a organization").
    if (operation === 'DescribeOrganization') return this.#describe(caller);
    if (!this.mayList(caller)) {
      throw new WireError(
        400,
        'AccessDeniedException',
        `You don't have permissions to access this resource: account ${caller} is neither the management account nor a delegated administrator.`,
      );
    }
    const parent = (): string => {
      const id = input.ParentId;
      if (typeof id !== 'string' || !PARENT_ID.test(id)) {
        throw new WireError(
          400,
          'InvalidInputException',
          'You provided a value that does not match the required pattern.',
        );
      }
      if (id !== this.rootId && !this.#units.has(id)) {
        throw new WireError(
          400,
          'ParentNotFoundException',
          "We can't find a root or OU with the ParentId that you specified.",
        );
      }
      return id;
    };
    switch (operation) {
      case 'ListAccounts':
        return this.#page(
          'Accounts',
          this.accounts().map((a) => this.#accountWire(a)),
          input,
          operation,
        );
      case 'ListAccountsForParent': {
        const id = parent();
        const accounts = this.accounts().filter((a) => a.parentId === id);
        return this.#page(
          'Accounts',
          accounts.map((a) => this.#accountWire(a)),
          input,
          `${operation}#${id}`,
        );
      }
      case 'ListOrganizationalUnitsForParent': {
        const id = parent();
        const units = [...this.#units.values()].filter((u) => u.parentId === id);
        return this.#page(
          'OrganizationalUnits',
          units.map((u) => ({
            Id: u.id,
            Arn: `arn:aws:organizations::${this.managementAccount}:ou/${this.organizationId}/${u.id}`,
            Name: u.name,
          })),
          input,
          `${operation}#${id}`,
        );
      }
      default:
        return this.#page(
          'Roots',
          [
            {
              Id: this.rootId,
              Arn: `arn:aws:organizations::${this.managementAccount}:root/${this.organizationId}/${this.rootId}`,
              Name: 'Root',
              PolicyTypes: [],
            },
          ],
          input,
          operation,
        );
    }
  }

  #describe(caller: string): Json {
    const member = this.#accounts.get(caller);
    if (member === undefined || member.state !== 'ACTIVE') {
      throw new WireError(
        400,
        'AWSOrganizationsNotInUseException',
        'Your account is not a member of an organization.',
      );
    }
    return {
      Organization: {
        Id: this.organizationId,
        Arn: `arn:aws:organizations::${this.managementAccount}:organization/${this.organizationId}`,
        FeatureSet: 'ALL',
        MasterAccountArn: `arn:aws:organizations::${this.managementAccount}:account/${this.organizationId}/${this.managementAccount}`,
        MasterAccountId: this.managementAccount,
        MasterAccountEmail: `management@${this.organizationId}.example`,
        AvailablePolicyTypes: [],
      },
    };
  }

  #requireParent(id: string): void {
    if (id !== this.rootId && !this.#units.has(id)) throw new SandboxError(`No root or OU ${id}.`);
  }

  #accountWire(account: SandboxAccount): Json {
    const status = STATUS_OF_STATE[account.state];
    return {
      Id: account.id,
      Arn: `arn:aws:organizations::${this.managementAccount}:account/${this.organizationId}/${account.id}`,
      Email: `${account.id}@example.com`,
      Name: account.name,
      ...(status !== undefined && { Status: status }),
      State: account.state,
      JoinedMethod: account.id === this.managementAccount ? 'CREATED' : 'INVITED',
      JoinedTimestamp: account.joinedAt / 1000,
    };
  }

  /**
   * One page of `items` from the offset the token holds; a token is bound to its listing (`scope`)
   * so one from another listing or a forged one is refused.
   */
  #page(member: string, items: readonly Json[], input: Json, scope: string): Json {
    const max = input.MaxResults ?? this.#pageSize;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 20) {
      throw new WireError(400, 'InvalidInputException', 'MaxResults must be an integer between 1 and 20.');
    }
    let offset = 0;
    if (input.NextToken !== undefined && input.NextToken !== null) {
      offset = this.#decodeToken(input.NextToken, scope);
    }
    const page = items.slice(offset, offset + max);
    const next = offset + max < items.length ? this.#encodeToken(offset + max, scope) : undefined;
    return { [member]: page, ...(next !== undefined && { NextToken: next }) };
  }

  #encodeToken(offset: number, scope: string): string {
    const payload = `${offset}`;
    const mac = createHmac('sha256', this.#tokenSecret).update(`${scope}|${payload}`).digest('base64url');
    return `${payload}.${mac.slice(0, 16)}`;
  }

  #decodeToken(raw: unknown, scope: string): number {
    const invalid = new WireError(400, 'InvalidInputException', 'The NextToken is not valid.');
    if (typeof raw !== 'string') throw invalid;
    const [payload, mac] = raw.split('.');
    if (payload === undefined || mac === undefined) throw invalid;
    const expected = createHmac('sha256', this.#tokenSecret)
      .update(`${scope}|${payload}`)
      .digest('base64url');
    if (expected.slice(0, 16) !== mac) throw invalid;
    return Number(payload);
  }
}
