import Type, { type Static } from 'typebox';
import { ApiConfigSchema } from '@ledgerline/service';

/** The ops API's environment: what every API reads, listening on 3003 by default. */
export const OpsApiConfigSchema = Type.Object({
  ...ApiConfigSchema.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3003 }),
});
export type OpsApiConfig = Static<typeof OpsApiConfigSchema>;
