import {
  CUSTOMER_LIMITS,
  COUNTRY_PATTERN,
  DATE_PATTERN,
  SANCTIONS_STATUSES,
  type Customer,
} from '@ledgerline/accounts';
import { TimestampSchema, UuidSchema } from '@ledgerline/http';
import Type, { type Static } from 'typebox';

const DateSchema = Type.String({
  pattern: DATE_PATTERN,
  examples: ['1985-12-10'],
  description: 'YYYY-MM-DD',
});

export const CustomerSchema = Type.Object(
  {
    id: UuidSchema,
    full_name: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    country: Type.String({ description: 'ISO 3166-1 alpha-2' }),
    date_of_birth: Type.Union([DateSchema, Type.Null()]),
    sanctions_status: Type.Enum(SANCTIONS_STATUSES),
    created_at: TimestampSchema,
  },
  { description: 'A customer. full_name, email and date_of_birth are encrypted at rest.' },
);
export type CustomerBody = Static<typeof CustomerSchema>;

/** Only these fields can be set by a client; anything else (id, sanctions_status, ...) is a 400. */
export const CreateCustomerBodySchema = Type.Object(
  {
    full_name: Type.String({ minLength: 1, maxLength: CUSTOMER_LIMITS.full_name_length_max }),
    email: Type.Optional(
      Type.Union([Type.String({ minLength: 3, maxLength: CUSTOMER_LIMITS.email_length_max }), Type.Null()]),
    ),
    country: Type.String({ pattern: COUNTRY_PATTERN, description: 'ISO 3166-1 alpha-2', examples: ['US'] }),
    date_of_birth: Type.Optional(Type.Union([DateSchema, Type.Null()])),
  },
  { additionalProperties: false },
);

export const CustomerParamsSchema = Type.Object({ id: UuidSchema }, { additionalProperties: false });

export function customerBody(customer: Customer): CustomerBody {
  return { ...customer, created_at: customer.created_at.toISOString() };
}
