import { CASE_LIMITS, CASE_STATUSES, type ComplianceCase } from '@ledgerline/cases';
import { PageQuerySchema, TimestampSchema, UuidSchema, pageOf } from '@ledgerline/http';
import Type, { type Static } from 'typebox';

const HitSchema = Type.Object({
  rule: Type.String({
    description:
      'The rule that matched: large_amount, structuring, velocity, high_risk_country, sanctions_potential_match, sanctions_confirmed_match.',
  }),
  detail: Type.String(),
});

export const CaseSchema = Type.Object({
  id: UuidSchema,
  transfer_id: Type.String({
    format: 'uuid',
    description: 'The held transfer; for an atomic batch, its first transfer.',
  }),
  batch_id: Type.Union([UuidSchema, Type.Null()], {
    description: 'Set when the case holds a whole atomic batch, decided as one.',
  }),
  status: Type.Enum(CASE_STATUSES),
  hits: Type.Array(HitSchema),
  created_at: TimestampSchema,
  decided_at: Type.Union([TimestampSchema, Type.Null()]),
  decided_by: Type.Union([Type.String(), Type.Null()], {
    description: 'The client id of the officer who decided.',
  }),
  note: Type.Union([Type.String(), Type.Null()]),
});
export type CaseBody = Static<typeof CaseSchema>;

export const CasePageSchema = pageOf(CaseSchema);

export const ListCasesQuerySchema = Type.Object(
  { status: Type.Optional(Type.Enum(CASE_STATUSES)), ...PageQuerySchema.properties },
  { additionalProperties: false },
);

export const CaseParamsSchema = Type.Object({ id: UuidSchema }, { additionalProperties: false });

export const DecisionBodySchema = Type.Object(
  {
    decision: Type.Enum(['approve', 'reject'] as const),
    note: Type.String({
      minLength: 1,
      maxLength: CASE_LIMITS.note_length_max,
      description: 'Why: kept with the case.',
    }),
  },
  { additionalProperties: false },
);

/** Keyset cursor of the case list: the last id of the page. */
export const CaseCursorSchema = Type.Object({ id: UuidSchema }, { additionalProperties: false });

export function caseBody(item: ComplianceCase): CaseBody {
  return {
    id: item.id,
    transfer_id: item.transfer_id,
    batch_id: item.batch_id,
    status: item.status,
    hits: item.hits,
    created_at: item.created_at.toISOString(),
    decided_at: item.decided_at?.toISOString() ?? null,
    decided_by: item.decided_by,
    note: item.note,
  };
}
