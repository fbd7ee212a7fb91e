import { TRANSFER_LIMITS, TRANSFER_STATUSES } from '@ledgerline/transfers';
import { DecimalStringSchema, PageQuerySchema, TimestampSchema, UuidSchema, pageOf } from '@ledgerline/http';
import Type from 'typebox';

const CurrencySchema = Type.String({
  pattern: '^[A-Z]{3}$',
  description: 'ISO 4217 code',
  examples: ['USD'],
});

/**
 * An amount in a request. Only the type and a length bound are checked here, so that the money library's
 * strict parser (one owner of the rules: sign, exponent, leading zeros, the currency's minor units) gives
 * the precise reason for anything else. A JSON number is refused by the type.
 */
const AmountInputSchema = Type.String({
  maxLength: 40,
  examples: ['12.50'],
  description: "A decimal string (never a JSON number), > 0, with at most the currency's minor units.",
});

const DescriptionSchema = Type.String({ maxLength: TRANSFER_LIMITS.description_length_max });

const MetadataSchema = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Unknown(), {
  maxProperties: 50,
  description: `A small JSON object: at most 50 keys and ${TRANSFER_LIMITS.metadata_bytes_max} bytes.`,
});

const NullableUuid = Type.Union([UuidSchema, Type.Null()]);
const NullableTimestamp = Type.Union([TimestampSchema, Type.Null()]);

/** The contract's Transfer, plus `kind`, `hold_expires_at` and `batch_id`. */
export const TransferSchema = Type.Object({
  id: UuidSchema,
  kind: Type.Enum(['transfer', 'deposit', 'withdrawal', 'reversal']),
  source_account_id: UuidSchema,
  destination_account_id: UuidSchema,
  amount: DecimalStringSchema,
  currency: CurrencySchema,
  status: Type.Enum(TRANSFER_STATUSES),
  status_reason: Type.Union([Type.String(), Type.Null()], {
    description:
      'On rejection or void: insufficient_funds, account_frozen, account_closed, currency_mismatch, compliance_rejected, sanctions_match, hold_expired.',
  }),
  description: Type.Union([Type.String(), Type.Null()]),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  hold: Type.Boolean(),
  hold_expires_at: NullableTimestamp,
  captured_amount: Type.Union([DecimalStringSchema, Type.Null()]),
  reverses_transfer_id: NullableUuid,
  batch_id: NullableUuid,
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
  posted_at: NullableTimestamp,
});

export const BatchSchema = Type.Object({
  id: UuidSchema,
  atomic: Type.Boolean(),
  transfers: Type.Array(TransferSchema),
});

export const TransferPageSchema = pageOf(TransferSchema);

const transferFields = {
  source_account_id: UuidSchema,
  destination_account_id: UuidSchema,
  amount: AmountInputSchema,
  currency: CurrencySchema,
  description: Type.Optional(DescriptionSchema),
  metadata: Type.Optional(MetadataSchema),
};

export const CreateTransferBodySchema = Type.Object(
  {
    ...transferFields,
    hold: Type.Optional(Type.Boolean({ description: 'Reserve the funds; capture or void later.' })),
    hold_expires_in_seconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Holds only; defaults to 7 days. Unclaimed holds are voided (hold_expired).',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CreateBatchBodySchema = Type.Object(
  {
    atomic: Type.Optional(Type.Boolean({ description: 'All transfers post or none does. Default false.' })),
    transfers: Type.Array(
      Type.Object(
        {
          ...transferFields,
          // Clients reuse their transfer bodies, which may say `hold: false`; a batch takes no holds.
          hold: Type.Optional(
            Type.Literal(false, {
              description: 'Batches take no holds; false is accepted and means nothing.',
            }),
          ),
        },
        { additionalProperties: false },
      ),
      {
        minItems: 1,
        maxItems: TRANSFER_LIMITS.batch_size_max,
      },
    ),
  },
  { additionalProperties: false },
);

export const SettlementTransferBodySchema = Type.Object(
  {
    account_id: UuidSchema,
    amount: AmountInputSchema,
    currency: CurrencySchema,
    description: Type.Optional(DescriptionSchema),
  },
  { additionalProperties: false },
);

/** Capture and void may also be sent without a body, which counts as `{}` (see `emptyBodyAsObject`). */
export const CaptureBodySchema = Type.Object(
  {
    amount: Type.Optional(
      Type.String({
        maxLength: 40,
        examples: ['7.25'],
        description: 'At most the held amount; the rest is released. Default: all of it.',
      }),
    ),
  },
  { additionalProperties: false },
);
export const VoidBodySchema = Type.Object({}, { additionalProperties: false });

export const ReverseBodySchema = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: TRANSFER_LIMITS.description_length_max }) },
  { additionalProperties: false },
);

export const TransferParamsSchema = Type.Object({ id: UuidSchema }, { additionalProperties: false });

export const ListTransfersQuerySchema = Type.Object(
  {
    account_id: Type.Optional(UuidSchema),
    status: Type.Optional(Type.Enum(TRANSFER_STATUSES)),
    ...PageQuerySchema.properties,
  },
  { additionalProperties: false },
);

/** RFC 7240 header, and the Idempotency-Key header of money-moving requests (1..255 printable ASCII). */
export const IdempotencyHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x20-\\x7E]+$',
      description: 'Required. Same key and body (per client) replays the first response for at least 24 h.',
    }),
  ),
});

export const GetTransferHeadersSchema = Type.Object({
  prefer: Type.Optional(
    Type.String({ maxLength: 200, description: 'RFC 7240; `wait=N` (N <= 30) waits for a final status.' }),
  ),
});
