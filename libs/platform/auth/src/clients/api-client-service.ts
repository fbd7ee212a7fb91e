import { newRowId, type Database, type Prisma } from '@ledgerline/db';
import type { Principal, Role } from '@ledgerline/http';
import { generateSecret, hashSecret, verifySecret } from './secret-hash';

export interface NewApiClient {
  name: string;
  role: Role;
  /** Required for (and only for) the `customer` role. */
  customer_id: string | null;
}

/** A client as just created: the only time its secret is known. */
export interface CreatedApiClient {
  client_id: string;
  client_secret: string;
  name: string;
  role: Role;
  customer_id: string | null;
}

export type CreateApiClientError = 'customer_binding_invalid' | 'customer_not_found';

export type CreateApiClientResult =
  { ok: true; client: CreatedApiClient } | { ok: false; error: CreateApiClientError };

export interface ApiClientService {
  create(input: NewApiClient): Promise<CreateApiClientResult>;
  /**
   * The principal of the client when the secret is right and the client is enabled, else `null`.
   * Takes as long for an unknown client as for a wrong secret, so timing does not reveal client ids.
   */
  authenticate(client_id: string, client_secret: string): Promise<Principal | null>;
}

export function createApiClientService({ db }: { db: Database }): ApiClientService {
  // Verified against when the client does not exist, so both paths run one scrypt of the same cost.
  const decoyHash = hashSecret(generateSecret());

  return {
    async create(input) {
      if ((input.role === 'customer') !== (input.customer_id !== null))
        return { ok: false, error: 'customer_binding_invalid' };
      if (input.customer_id !== null) {
        const customer = await db.customer.findUnique({
          where: { id: input.customer_id },
          select: { id: true },
        });
        if (customer === null) return { ok: false, error: 'customer_not_found' };
      }
      const client_id = newRowId();
      const client_secret = generateSecret();
      await db.apiClient.create({
        data: {
          id: client_id,
          clientId: client_id,
          name: input.name,
          role: input.role,
          customerId: input.customer_id,
          secretHash: await hashSecret(client_secret),
        },
      });
      return {
        ok: true,
        client: {
          client_id,
          client_secret,
          name: input.name,
          role: input.role,
          customer_id: input.customer_id,
        },
      };
    },

    async authenticate(client_id, client_secret) {
      const client = await db.apiClient.findUnique({
        where: { clientId: client_id },
        select: { clientId: true, role: true, customerId: true, secretHash: true, disabledAt: true },
      });
      const matches = await verifySecret(client_secret, client?.secretHash ?? (await decoyHash));
      if (client === null || !matches || client.disabledAt !== null) return null;
      return { client_id: client.clientId, role: client.role, customer_id: client.customerId };
    },
  };
}

export type DisableApiClientResult = 'disabled' | 'already_disabled' | 'not_found';

/**
 * Disables a client for good: it gets no new token (`authenticate`), and the tokens it holds stop
 * working within an API's refresh of its disabled clients (`watchDisabledClients`). Takes a transaction
 * client too, so that the caller's audit record commits with the change.
 */
export async function disableApiClient(
  db: Database | Prisma.TransactionClient,
  client_id: string,
): Promise<DisableApiClientResult> {
  const { count } = await db.apiClient.updateMany({
    where: { clientId: client_id, disabledAt: null },
    data: { disabledAt: new Date() },
  });
  if (count === 1) return 'disabled';
  const existing = await db.apiClient.findUnique({
    where: { clientId: client_id },
    select: { clientId: true },
  });
  return existing === null ? 'not_found' : 'already_disabled';
}
