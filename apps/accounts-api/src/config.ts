import { AuthConfigSchema, AuthIssuerConfigSchema } from '@ledgerline/auth';
import { ConfigError, DatabaseConfigSchema, HttpConfigSchema, LogConfigSchema, RedisConfigSchema } from '@ledgerline/config';
import { RateLimitConfigSchema } from '@ledgerline/http';
import Type, { type Static } from 'typebox';

/**
 * The development keyring used when ENCRYPTION_KEYS is not set. FOR LOCAL DEVELOPMENT ONLY: the key
 * is in the source code, so anything encrypted with it is readable by anyone. Every real deployment
 * sets ENCRYPTION_KEYS and ENCRYPTION_ACTIVE_KEY_ID, and `main.ts` warns at start when it is in use.
 */
export const DEV_ENCRYPTION_KEY_ID = 'dev-local-only';
export const DEV_ENCRYPTION_KEYS = `${DEV_ENCRYPTION_KEY_ID}:V/AFPuIRPH3LhaEnRi0kv1MobrN9krGpyLwzXzBEhP4=`;

/**
 * Environment of accounts-api. Beyond the shared fragments (HOST, PORT, DATABASE_*, REDIS_URL,
 * QUEUE_PREFIX, LOG_LEVEL, RATE_LIMIT_*, JWT_*, BOOTSTRAP_ADMIN_*, AUTH_*):
 * - PORT defaults to 3001.
 * - ENCRYPTION_KEYS: the keyring for customers' personal data, `key_id:base64,key_id:base64` (32-byte
 *   keys, e.g. from `generateKey()` of @ledgerline/crypto). Keep old keys listed until
 *   `tools/scripts/rotate-keys.ts` has moved every customer off them.
 * - ENCRYPTION_ACTIVE_KEY_ID: the key new customers are encrypted with.
 * - TRUST_PROXY: `true` behind the gateway, so rate limits and logs see the client's address.
 */
export const AccountsApiConfigSchema = Type.Object({
  ...HttpConfigSchema.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3001 }),
  ...DatabaseConfigSchema.properties,
  ...RedisConfigSchema.properties,
  ...LogConfigSchema.properties,
  ...RateLimitConfigSchema.properties,
  ...AuthConfigSchema.properties,
  ...AuthIssuerConfigSchema.properties,
  ENCRYPTION_KEYS: Type.String({ minLength: 1, default: DEV_ENCRYPTION_KEYS }),
  ENCRYPTION_ACTIVE_KEY_ID: Type.String({ minLength: 1, maxLength: 64, default: DEV_ENCRYPTION_KEY_ID }),
  TRUST_PROXY: Type.Boolean({ default: false }),
});
export type AccountsApiConfig = Static<typeof AccountsApiConfigSchema>;

/** The bootstrap admin client to ensure on start, or null; both variables or neither. */
export function bootstrapAdminOf(config: AccountsApiConfig): { client_id: string; client_secret: string } | null {
  const client_id = config.BOOTSTRAP_ADMIN_CLIENT_ID;
  const client_secret = config.BOOTSTRAP_ADMIN_CLIENT_SECRET;
  if (client_id === undefined && client_secret === undefined) return null;
  if (client_id === undefined || client_secret === undefined) {
    throw new ConfigError('Invalid configuration: BOOTSTRAP_ADMIN_CLIENT_ID and BOOTSTRAP_ADMIN_CLIENT_SECRET must be set together');
  }
  return { client_id, client_secret };
}
