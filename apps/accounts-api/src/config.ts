import { AuthIssuerConfigSchema } from '@ledgerline/auth';
import { ConfigError } from '@ledgerline/config';
import { EncryptionConfigSchema } from '@ledgerline/crypto';
import { ApiConfigSchema } from '@ledgerline/service';
import Type, { type Static } from 'typebox';

/** The development keyring used when ENCRYPTION_KEYS is not set; see `EncryptionConfigSchema`. */
export { DEV_ENCRYPTION_KEY_ID, DEV_ENCRYPTION_KEYS } from '@ledgerline/crypto';

/**
 * Environment of accounts-api. Beyond `ApiConfigSchema` (HOST, PORT, DATABASE_*, REDIS_URL,
 * QUEUE_PREFIX, LOG_LEVEL, RATE_LIMIT_*, JWT_*, TRUST_PROXY) and the token issuer's BOOTSTRAP_ADMIN_*
 * and AUTH_*:
 * - PORT defaults to 3001.
 * - ENCRYPTION_KEYS: the keyring for customers' personal data, `key_id:base64,key_id:base64` (32-byte
 *   keys, e.g. from `generateKey()` of @ledgerline/crypto). Keep old keys listed until
 *   `tools/scripts/rotate-keys.ts` has moved every customer off them.
 * - ENCRYPTION_ACTIVE_KEY_ID: the key new customers are encrypted with.
 */
export const AccountsApiConfigSchema = Type.Object({
  ...ApiConfigSchema.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3001 }),
  ...AuthIssuerConfigSchema.properties,
  ...EncryptionConfigSchema.properties,
});
export type AccountsApiConfig = Static<typeof AccountsApiConfigSchema>;

/** The bootstrap admin client to ensure on start, or null; both variables or neither. */
export function bootstrapAdminOf(
  config: AccountsApiConfig,
): { client_id: string; client_secret: string } | null {
  const client_id = config.BOOTSTRAP_ADMIN_CLIENT_ID;
  const client_secret = config.BOOTSTRAP_ADMIN_CLIENT_SECRET;
  if (client_id === undefined && client_secret === undefined) return null;
  if (client_id === undefined || client_secret === undefined) {
    throw new ConfigError(
      'Invalid configuration: BOOTSTRAP_ADMIN_CLIENT_ID and BOOTSTRAP_ADMIN_CLIENT_SECRET must be set together',
    );
  }
  return { client_id, client_secret };
}
