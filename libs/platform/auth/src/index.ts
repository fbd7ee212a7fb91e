/**
 * Authentication and authorization for Ledgerline services.
 *
 * - {@link authPlugin}: verifies `Authorization: Bearer <JWT>` (algorithm pinned, `iss`/`aud`/`exp`
 *   checked, keys chosen by `kid`) and sets `request.principal`; decorates `app.accessTokens`.
 * - Guards for routes: {@link requireRole}, {@link requireAuthenticated}, {@link principalOf}, and
 *   {@link canSeeCustomer} for the contract's "not yours is 404" rule.
 * - API clients: {@link createApiClientService} (scrypt-hashed secrets), {@link ensureBootstrapAdmin},
 *   {@link disableApiClient}, and {@link watchDisabledClients} (the plugin's `disabled_clients`: a disabled
 *   client's live tokens stop working within its refresh interval).
 * - {@link authRoutes}: `POST /v1/auth/token` (with lockout after failed attempts) and `POST /v1/clients`.
 * - Config fragments {@link AuthConfigSchema} and {@link AuthIssuerConfigSchema}, and
 *   {@link jwtOptionsFromConfig} (`generateTokenSigningKeys` in `@ledgerline/crypto` makes a key pair in their form).
 */
export {
  authPlugin,
  type AuthPluginOptions,
  type AccessToken,
  type AccessTokenIssuer,
} from './plugin/auth-plugin';
export {
  requireRole,
  requireAuthenticated,
  principalOf,
  canSeeCustomer,
  assertCanSeeCustomer,
  type RouteGuard,
} from './plugin/guards';
export { principalFromClaims, type AccessTokenClaims } from './jwt/claims';
export type { JwtOptions, JwtAlgorithm, HmacJwtOptions, KeyPairJwtOptions } from './jwt/jwt-options';
export {
  AuthConfigSchema,
  AuthIssuerConfigSchema,
  jwtOptionsFromConfig,
  parsePublicKeys,
  type AuthConfig,
  type AuthIssuerConfig,
} from './config/auth-config';
export {
  createApiClientService,
  disableApiClient,
  type DisableApiClientResult,
  type ApiClientService,
  type NewApiClient,
  type CreatedApiClient,
  type CreateApiClientError,
  type CreateApiClientResult,
} from './clients/api-client-service';
export {
  watchDisabledClients,
  type DisabledClients,
  type DisabledClientCheck,
  type DisabledClientsOptions,
} from './clients/disabled-clients';
export { ensureBootstrapAdmin, type BootstrapAdminOptions } from './clients/bootstrap-admin';
export { authRoutes, type AuthRoutesOptions } from './routes/auth-routes';
export { TokenRequestSchema, TokenResponseSchema } from './routes/token-route';
export { CreateClientRequestSchema, CreatedClientSchema } from './routes/clients-route';
export { ROLES, type Role, type Principal } from '@ledgerline/http';
