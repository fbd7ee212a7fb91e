import type { EnvelopeCipher } from '@ledgerline/crypto';
import { newRowId, Prisma, type Database } from '@ledgerline/db';
import { jobs, outboxInsert } from '@ledgerline/queue';
import { validate as isUuid } from 'uuid';
import type { AccessScope } from '../access/access-scope';
import { failure, success, type Outcome } from '../result';
import type { CustomerCreateError, CustomerUpdateError } from './customer.errors';
import { isValidCountry, isValidDateOfBirth, isValidEmail, isValidFullName } from './customer.validation';

export type SanctionsStatus = 'clear' | 'potential_match' | 'confirmed_match';
export const SANCTIONS_STATUSES: readonly SanctionsStatus[] = ['clear', 'potential_match', 'confirmed_match'];

/** A customer with personal data decrypted. Never log one. */
export interface Customer {
  id: string;
  full_name: string;
  email: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** `YYYY-MM-DD`. */
  date_of_birth: string | null;
  sanctions_status: SanctionsStatus;
  created_at: Date;
}

export interface CreateCustomerInput {
  full_name: string;
  email?: string | null | undefined;
  country: string;
  date_of_birth?: string | null | undefined;
}

/** Who asked for a change, for the jobs it queues. */
export interface CustomerRequestContext {
  /** The request's id, carried by the jobs it queues (`unknown` when absent). */
  request_id?: string;
}

export interface CustomerService {
  /**
   * Creates a customer; `full_name`, `email` and `date_of_birth` are encrypted before they reach SQL.
   * Its sanctions screening (`screen-customer`) is queued through the outbox in the same transaction.
   */
  create(
    input: CreateCustomerInput,
    context?: CustomerRequestContext,
  ): Promise<Outcome<Customer, CustomerCreateError>>;
  /** The decrypted customer, or null when it does not exist or is outside `scope`. */
  get(id: string, scope: AccessScope): Promise<Customer | null>;
  /**
   * Records a screening outcome by hand (for the compliance service). Setting `clear` drops a recorded
   * match; the status holds until the next sanctions list version rescreens the customer.
   */
  setSanctionsStatus(id: string, status: SanctionsStatus): Promise<Outcome<Customer, CustomerUpdateError>>;
}

export interface CustomerServiceDependencies {
  db: Database;
  cipher: EnvelopeCipher;
}

/** The encrypted fields; the names are bound into each ciphertext, so they must never change. */
export type CustomerPersonalField = 'full_name' | 'email' | 'date_of_birth';

/** A customer row's encrypted columns, for the fields to decrypt. */
export interface EncryptedCustomerFields<F extends CustomerPersonalField> {
  key_id: string;
  wrapped_data_key: Uint8Array;
  ciphertexts: Record<F, Uint8Array | null>;
}

/**
 * Decrypts some or all of a customer's personal fields, in memory only. Other services that must
 * read them (sanctions screening reads `full_name` and `date_of_birth`) use this rather than the
 * cipher directly, because the field names are bound into the ciphertexts. Never log the result.
 */
export function decryptCustomerFields<F extends CustomerPersonalField>(
  cipher: EnvelopeCipher,
  encrypted: EncryptedCustomerFields<F>,
): Record<F, string | null> {
  return cipher.decryptRecord<F>(encrypted);
}

type CustomerRow = Prisma.CustomerModel;

export function createCustomerService({ db, cipher }: CustomerServiceDependencies): CustomerService {
  function toCustomer(row: CustomerRow): Customer {
    const fields = decryptCustomerFields<CustomerPersonalField>(cipher, {
      key_id: row.keyId,
      wrapped_data_key: row.wrappedDataKey,
      ciphertexts: {
        full_name: row.fullNameCiphertext,
        email: row.emailCiphertext,
        date_of_birth: row.dateOfBirthCiphertext,
      },
    });
    return {
      id: row.id,
      full_name: fields.full_name ?? '',
      email: fields.email,
      country: row.country,
      date_of_birth: fields.date_of_birth,
      sanctions_status: row.sanctionsStatus,
      created_at: row.createdAt,
    };
  }

  return {
    async create(input, context = {}) {
      if (!isValidFullName(input.full_name))
        return failure('invalid_full_name', 'full_name must be 1 to 200 characters of text.');
      const email = input.email ?? null;
      if (email !== null && !isValidEmail(email))
        return failure('invalid_email', 'email must be an email address.');
      if (!isValidCountry(input.country)) {
        return failure('invalid_country', 'country must be an ISO 3166-1 alpha-2 code such as "US".');
      }
      const dateOfBirth = input.date_of_birth ?? null;
      if (dateOfBirth !== null && !isValidDateOfBirth(dateOfBirth)) {
        return failure(
          'invalid_date_of_birth',
          'date_of_birth must be a real date (YYYY-MM-DD) between 1900-01-01 and today.',
        );
      }
      const sealed = cipher.encryptRecord<CustomerPersonalField>({
        full_name: input.full_name.trim(),
        email,
        date_of_birth: dateOfBirth,
      });
      const id = newRowId();
      // One transaction: the screening job exists if and only if the customer does.
      const [row] = await db.$transaction([
        db.customer.create({
          data: {
            id,
            fullNameCiphertext: toBytes(sealed.ciphertexts.full_name),
            emailCiphertext: toBytesOrNull(sealed.ciphertexts.email),
            dateOfBirthCiphertext: toBytesOrNull(sealed.ciphertexts.date_of_birth),
            wrappedDataKey: toBytes(sealed.wrapped_data_key),
            keyId: sealed.key_id,
            country: input.country,
          },
        }),
        db.$executeRaw(outboxInsert([jobs.screenCustomer(id, context.request_id ?? 'unknown')])),
      ]);
      return success(toCustomer(row));
    },

    async get(id, scope) {
      if (!isUuid(id)) return null;
      if (scope.kind === 'none' || (scope.kind === 'customer' && scope.customer_id !== id)) return null;
      const row = await db.customer.findUnique({ where: { id } });
      return row === null ? null : toCustomer(row);
    },

    async setSanctionsStatus(id, status) {
      if (!isUuid(id)) return failure('not_found', 'No such customer.');
      const { count } = await db.customer.updateMany({
        where: { id },
        data: { sanctionsStatus: status, ...(status === 'clear' ? { sanctionsMatch: Prisma.DbNull } : {}) },
      });
      if (count === 0) return failure('not_found', 'No such customer.');
      return success(toCustomer(await db.customer.findUniqueOrThrow({ where: { id } })));
    },
  };
}

// Prisma's Bytes columns take a Uint8Array backed by a plain ArrayBuffer.
function toBytes(buffer: Buffer | null): Uint8Array<ArrayBuffer> {
  if (buffer === null) throw new TypeError('a required ciphertext is missing');
  return new Uint8Array(buffer);
}

function toBytesOrNull(buffer: Buffer | null): Uint8Array<ArrayBuffer> | null {
  return buffer === null ? null : new Uint8Array(buffer);
}
