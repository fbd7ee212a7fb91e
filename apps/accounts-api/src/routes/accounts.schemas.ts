import {
  ACCOUNT_KINDS,
  ACCOUNT_STATUSES,
  METADATA_LIMITS,
  type Account,
  type BalanceSnapshot,
  type StatementEntry,
} from '@ledgerline/accounts';
import { DecimalStringSchema, PageQuerySchema, TimestampSchema, UuidSchema, pageOf } from '@ledgerline/http';
import Type, { type Static } from 'typebox';

const CurrencySchema = Type.String({
  pattern: '^[A-Z]{3}$',
  description: 'ISO 4217 code',
  examples: ['USD'],
});
const AccountStatusSchema = Type.Enum(ACCOUNT_STATUSES);
const MetadataSchema = Type.Record(
  Type.String({ minLength: 1, maxLength: METADATA_LIMITS.key_length_max }),
  Type.Unknown(),
  {
    maxProperties: METADATA_LIMITS.keys_max,
    description: `A small JSON object: at most ${METADATA_LIMITS.keys_max} keys, ${METADATA_LIMITS.depth_max} levels and ${METADATA_LIMITS.bytes_max} bytes.`,
  },
);

export const BalanceSchema = Type.Object({
  posted: DecimalStringSchema,
  pending_debits: DecimalStringSchema,
  pending_credits: DecimalStringSchema,
  available: DecimalStringSchema,
});

export const AccountSchema = Type.Object({
  id: UuidSchema,
  customer_id: Type.Union([UuidSchema, Type.Null()], { description: 'Null only for settlement accounts.' }),
  currency: CurrencySchema,
  kind: Type.Enum([...ACCOUNT_KINDS, 'settlement' as const]),
  status: AccountStatusSchema,
  overdraft_limit: DecimalStringSchema,
  balance: BalanceSchema,
  version: Type.Integer({ minimum: 1 }),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
  metadata: MetadataSchema,
});
export type AccountBody = Static<typeof AccountSchema>;

/** Only these fields can be set by a client; status, balances, version and ids are not. */
export const OpenAccountBodySchema = Type.Object(
  {
    customer_id: UuidSchema,
    currency: CurrencySchema,
    kind: Type.Optional(Type.Enum(ACCOUNT_KINDS, { default: 'checking' })),
    overdraft_limit: Type.Optional(DecimalStringSchema),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false },
);

export const AccountParamsSchema = Type.Object({ id: UuidSchema }, { additionalProperties: false });

export const ListAccountsQuerySchema = Type.Object(
  {
    customer_id: Type.Optional(UuidSchema),
    status: Type.Optional(AccountStatusSchema),
    ...PageQuerySchema.properties,
  },
  { additionalProperties: false },
);

export const AccountCursorSchema = Type.Object({ id: UuidSchema }, { additionalProperties: false });

export const BalanceQuerySchema = Type.Object(
  { as_of: Type.Optional(TimestampSchema) },
  { additionalProperties: false },
);

const PastUnknown = (description: string) => Type.Union([DecimalStringSchema, Type.Null()], { description });

/**
 * `GET /v1/accounts/:id/balance`. For a past `as_of` only `posted` is known (from the journal): holds
 * write no journal entries, so `pending_debits`, `pending_credits` and `available` are then null.
 */
export const BalanceResponseSchema = Type.Object({
  posted: DecimalStringSchema,
  pending_debits: PastUnknown('Null for a past as_of.'),
  pending_credits: PastUnknown('Null for a past as_of.'),
  available: PastUnknown('posted - pending_debits + overdraft_limit; null for a past as_of.'),
  as_of: TimestampSchema,
});

export const EntriesQuerySchema = Type.Object(
  {
    from: Type.Optional(TimestampSchema),
    to: Type.Optional(TimestampSchema),
    ...PageQuerySchema.properties,
  },
  { additionalProperties: false },
);

// An account sequence is a BIGINT; 18 digits keep every cursor inside its range (2^63 has 19).
export const EntryCursorSchema = Type.Object(
  { sequence: Type.String({ pattern: '^[1-9][0-9]{0,17}$' }) },
  { additionalProperties: false },
);

export const EntrySchema = Type.Object({
  id: UuidSchema,
  transfer_id: UuidSchema,
  direction: Type.Enum(['debit', 'credit']),
  amount: DecimalStringSchema,
  balance_after: DecimalStringSchema,
  description: Type.Union([Type.String(), Type.Null()]),
  posted_at: TimestampSchema,
});

export const AccountPageSchema = pageOf(AccountSchema);
export const EntryPageSchema = pageOf(EntrySchema);

export function accountBody(account: Account): AccountBody {
  return {
    ...account,
    created_at: account.created_at.toISOString(),
    updated_at: account.updated_at.toISOString(),
  };
}

export function balanceBody(snapshot: BalanceSnapshot): Static<typeof BalanceResponseSchema> {
  const { posted, pending_debits, pending_credits, available } = snapshot;
  return { posted, pending_debits, pending_credits, available, as_of: snapshot.as_of.toISOString() };
}

export function entryBody(entry: StatementEntry): Static<typeof EntrySchema> {
  const { id, transfer_id, direction, amount, balance_after, description } = entry;
  return {
    id,
    transfer_id,
    direction,
    amount,
    balance_after,
    description,
    posted_at: entry.posted_at.toISOString(),
  };
}
