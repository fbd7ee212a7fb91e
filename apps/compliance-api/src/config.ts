import Type, { type Static } from 'typebox';
import { ApiConfigSchema } from '@ledgerline/service';

/** The compliance API's environment: what every API reads, listening on 3004 by default. */
export const ComplianceApiConfigSchema = Type.Object({
  ...ApiConfigSchema.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3004 }),
});
export type ComplianceApiConfig = Static<typeof ComplianceApiConfigSchema>;
