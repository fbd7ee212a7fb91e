/**
 * Customers, accounts, settlement accounts, balances and statements.
 *
 * - {@link createCustomerService}: customers with `full_name`, `email` and `date_of_birth`
 *   envelope-encrypted at rest (decrypted on read), and their sanctions status; creating one queues
 *   its sanctions screening. {@link decryptCustomerFields} decrypts a row's fields for other readers.
 * - {@link createAccountService}: open, read, list (keyset pages by id), freeze / unfreeze / close,
 *   balances (from the row, or from the journal for a past instant), statement entries (keyset pages
 *   by account sequence, newest first) and the per-currency settlement account.
 * - {@link accessScopeFor}: what a principal may see. Every read and change takes an
 *   {@link AccessScope}, so a customer principal's queries always carry its own `customer_id`.
 * - {@link rewrapCustomerKeys}: key rotation of customers' data keys in bounded batches.
 *
 * Business outcomes are typed values ({@link Outcome} with a string-union error), never exceptions;
 * each error union has a const array (e.g. {@link ACCOUNT_CHANGE_ERRORS}) for exhaustive maps.
 */
export {
  accessScopeFor,
  scopeAllows,
  ALL_ACCESS,
  type AccessScope,
  type ScopedPrincipal,
} from './access/access-scope';
export type { Outcome } from './result';
export {
  createCustomerService,
  decryptCustomerFields,
  SANCTIONS_STATUSES,
  type CreateCustomerInput,
  type Customer,
  type CustomerPersonalField,
  type CustomerRequestContext,
  type CustomerService,
  type CustomerServiceDependencies,
  type EncryptedCustomerFields,
  type SanctionsStatus,
} from './customer/customer.service';
export {
  CUSTOMER_CREATE_ERRORS,
  CUSTOMER_CREATE_ERROR_FIELD,
  CUSTOMER_UPDATE_ERRORS,
  type CustomerCreateError,
  type CustomerUpdateError,
} from './customer/customer.errors';
export { CUSTOMER_LIMITS, COUNTRY_PATTERN, DATE_PATTERN } from './customer/customer.validation';
export {
  createAccountService,
  toAccount,
  ACCOUNT_KINDS,
  ACCOUNT_PAGE_LIMITS,
  ACCOUNT_STATUSES,
  type Account,
  type AccountKind,
  type AccountPage,
  type AccountService,
  type AccountServiceDependencies,
  type AccountStatus,
  type BalanceSnapshot,
  type CustomerAccountKind,
  type ListAccountsQuery,
  type OpenAccountInput,
} from './account/account.service';
export {
  ACCOUNT_CHANGE_ERRORS,
  ACCOUNT_OPEN_ERRORS,
  ACCOUNT_OPEN_ERROR_FIELD,
  ACCOUNT_QUERY_ERRORS,
  type AccountChangeError,
  type AccountOpenError,
  type AccountQueryError,
} from './account/account.errors';
export { computeBalance, type Balance, type BalanceColumns } from './account/balance';
export { checkMetadata, METADATA_LIMITS, type JsonValue, type Metadata } from './account/metadata';
export { ENTRY_PAGE_LIMITS, type EntryPage, type EntryQuery, type StatementEntry } from './account/statement';
export {
  rewrapCustomerKeys,
  REWRAP_BATCH_SIZE_LIMITS,
  type RewrapCustomerKeysOptions,
  type RewrapProgress,
} from './key-rotation/rewrap-customer-keys';
