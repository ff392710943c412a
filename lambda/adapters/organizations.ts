// AccountSource over AWS Organizations: the whole Organization's accounts, or those under some OUs.
import {
  type Account,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ServiceError } from '../core/errors';
import type { OrgAccount, OrganizationScope } from '../core/organization';
import type { AccountSource } from '../core/ports';
import { CallCounter } from './call-counter';

/** Options of {@link OrganizationsAccountSource}. */
export interface OrganizationsAccountSourceOptions {
  /** @default a new OrganizationsClient with adaptive retry (Organizations throttles at a few TPS) */
  readonly client?: OrganizationsClient;
  /** @default a new counter */
  readonly calls?: CallCounter;
}

/** What an account without a `State` (or `Status`) is read as; never ACTIVE, so it is not polled. */
const UNKNOWN_STATE = 'UNKNOWN';

/**
 * Lists accounts with Organizations' List calls, page by page: `ListAccounts` for the whole
 * Organization; for OUs, `ListAccountsForParent` and `ListOrganizationalUnitsForParent` walked down
 * every OU under them. Works from the management account or a delegated administrator.
 */
export class OrganizationsAccountSource implements AccountSource {
  readonly calls: CallCounter;
  readonly #client: OrganizationsClient;

  constructor(options: OrganizationsAccountSourceOptions = {}) {
    this.#client = options.client ?? new OrganizationsClient({ retryMode: 'adaptive', maxAttempts: 8 });
    this.calls = options.calls ?? new CallCounter();
  }

  async listAccounts(scope: OrganizationScope): Promise<OrgAccount[]> {
    const found = new Map<string, OrgAccount>();
    const add = (accounts: readonly Account[] | undefined): void => {
      for (const account of accounts ?? []) {
        // State replaces Status (retired in 2026); an account without an id cannot be read.
        if (account.Id)
          found.set(account.Id, { id: account.Id, state: account.State ?? account.Status ?? UNKNOWN_STATE });
      }
    };
    if (scope.organizationalUnits === undefined) {
      await this.#pages('ListAccounts', async (NextToken) => {
        const page = await this.#client.send(new ListAccountsCommand({ NextToken }));
        add(page.Accounts);
        return page.NextToken;
      });
      return [...found.values()];
    }
    const seen = new Set<string>();
    const parents = [...scope.organizationalUnits];
    for (let parent = parents.shift(); parent !== undefined; parent = parents.shift()) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      const ParentId = parent;
      await this.#pages('ListAccountsForParent', async (NextToken) => {
        const page = await this.#client.send(new ListAccountsForParentCommand({ ParentId, NextToken }));
        add(page.Accounts);
        return page.NextToken;
      });
      await this.#pages('ListOrganizationalUnitsForParent', async (NextToken) => {
        const page = await this.#client.send(
          new ListOrganizationalUnitsForParentCommand({ ParentId, NextToken }),
        );
        for (const unit of page.OrganizationalUnits ?? []) if (unit.Id) parents.push(unit.Id);
        return page.NextToken;
      });
    }
    return [...found.values()];
  }

  /** The management account, from `DescribeOrganization` (any account of the Organization may call it). */
  async managementAccount(): Promise<string> {
    this.calls.count('DescribeOrganization');
    let id: string | undefined;
    try {
      id = (await this.#client.send(new DescribeOrganizationCommand({}))).Organization?.MasterAccountId;
    } catch (error) {
      throw ServiceError.of('Organizations DescribeOrganization', error);
    }
    if (!id) throw new ServiceError('Organizations DescribeOrganization returned no MasterAccountId.');
    return id;
  }

  /** Calls `read` with each page's token until a page has none; wraps failures in a ServiceError. */
  async #pages(operation: string, read: (token: string | undefined) => Promise<string | undefined>) {
    let token: string | undefined;
    do {
      this.calls.count(operation);
      try {
        token = await read(token);
      } catch (error) {
        throw ServiceError.of(`Organizations ${operation}`, error);
      }
    } while (token);
  }
}
