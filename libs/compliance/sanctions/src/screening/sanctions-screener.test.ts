import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomerService, type CreateCustomerInput, type CustomerService } from '@ledgerline/accounts';
import { createEnvelopeCipher, generateKey, parseKeyring, type EnvelopeCipher } from '@ledgerline/crypto';
import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { captureLogger } from '@ledgerline/queue/testing';
import { createSanctionsListService, type SanctionsListService } from '../list/sanctions-list.service';
import { SDN_FIXTURE_ROWS, sdnCsv } from '../testing';
import {
  createSanctionsScreener,
  UnknownListVersionError,
  type SanctionsScreener,
} from './sanctions-screener';

const THRESHOLDS = { potential_match_score: 0.92, confirmed_match_score: 0.97 };

let database: TestDatabase;
let cipher: EnvelopeCipher;
let customers: CustomerService;
let lists: SanctionsListService;
/** Personal-data decryptions so far: a customer read from its recorded status costs none. */
let decryptions = 0;
const { logger, lines } = captureLogger();

beforeAll(async () => {
  database = await createTestDatabase();
  const real = createEnvelopeCipher({ keyring: parseKeyring(`k1:${generateKey()}`), active_key_id: 'k1' });
  cipher = {
    active_key_id: real.active_key_id,
    encryptRecord: (fields) => real.encryptRecord(fields),
    rewrapDataKey: (wrapped) => real.rewrapDataKey(wrapped),
    decryptRecord: (record) => {
      decryptions += 1;
      return real.decryptRecord(record);
    },
  };
  customers = createCustomerService({ db: database.db, cipher });
  lists = createSanctionsListService({ db: database.db });
});
afterAll(() => database.drop());

function screener(page_size?: number): SanctionsScreener {
  return createSanctionsScreener({
    db: database.db,
    cipher,
    thresholds: THRESHOLDS,
    logger,
    ...(page_size === undefined ? {} : { page_size }),
  });
}

async function createCustomer(input: CreateCustomerInput): Promise<string> {
  const created = await customers.create(input, { request_id: 'req-test' });
  if (!created.ok) throw new Error(created.error);
  return created.value.id;
}

async function loadList(rows = SDN_FIXTURE_ROWS): Promise<number> {
  const result = await lists.load({ csv: sdnCsv(rows), loaded_by: 'officer', request_id: 'req-list' });
  if (!result.ok) throw new Error('list refused');
  return result.value.list_version;
}

async function storedScreening(customer_id: string) {
  const { rows } = await database.pool.query(
    `SELECT sanctions_status::text AS status, sanctions_screened_version::integer AS version, sanctions_screened_at AS screened_at,
            sanctions_match AS match
     FROM customers WHERE id = $1`,
    [customer_id],
  );
  return rows[0] as { status: string; version: number | null; screened_at: Date | null; match: unknown };
}

const ADA = { full_name: 'Ada Lovelace', country: 'GB', date_of_birth: '1985-12-10' };
const CLOSE_TO_KARIMOV = { full_name: 'Rustam Karimov', country: 'US' };
const KARIMOV = { full_name: 'Rustam Aliyevich Karimov', country: 'UZ', email: 'rk@example.uz' };
const HADDAD = { full_name: 'Samir Haddad', country: 'FR', date_of_birth: '1953-04-02' };

// The tests build on each other: list versions count up through the file.
describe('screenCustomers', () => {
  let ada: string;
  let close: string;
  let karimov: string;
  let haddad: string;

  it('answers clear against no list before any list was loaded, recording nothing', async () => {
    ada = await createCustomer(ADA);
    const results = await screener().screenCustomers([ada]);
    expect(results.get(ada)).toEqual({ customer_id: ada, status: 'clear', list_version: null, match: null });
    expect(await storedScreening(ada)).toMatchObject({ status: 'clear', version: null, screened_at: null });
  });

  it('screens customers against the current list and records each status with the version', async () => {
    expect(await loadList()).toBe(1);
    close = await createCustomer(CLOSE_TO_KARIMOV);
    karimov = await createCustomer(KARIMOV);
    haddad = await createCustomer(HADDAD);
    const unknown = uuidv7();
    const results = await screener().screenCustomers([
      ada,
      close,
      karimov,
      haddad,
      unknown,
      'not-a-uuid',
      karimov.toUpperCase(),
    ]);
    expect([...results.keys()].sort()).toEqual([ada, close, karimov, haddad].sort());
    expect(results.get(ada)).toEqual({ customer_id: ada, status: 'clear', list_version: 1, match: null });
    expect(results.get(close)).toMatchObject({
      status: 'potential_match',
      list_version: 1,
      match: { ent_num: 10001, name: 'KARIMOV, Rustam Aliyevich', score: expect.any(Number) },
    });
    expect(results.get(karimov)).toEqual({
      customer_id: karimov,
      status: 'confirmed_match',
      list_version: 1,
      match: { ent_num: 10001, name: 'KARIMOV, Rustam Aliyevich', score: 1 },
    });
    // Confirmed by the date of birth, within the entry's range.
    expect(results.get(haddad)).toMatchObject({ status: 'confirmed_match', match: { ent_num: 10005 } });

    expect(await storedScreening(ada)).toMatchObject({
      status: 'clear',
      version: 1,
      match: null,
      screened_at: expect.any(Date),
    });
    expect(await storedScreening(karimov)).toMatchObject({
      status: 'confirmed_match',
      version: 1,
      match: { ent_num: 10001, name: 'KARIMOV, Rustam Aliyevich', score: 1, list_version: 1 },
    });
  });

  it('reads a customer already screened against the current list, decrypting nothing', async () => {
    const before = { decryptions, karimov: await storedScreening(karimov) };
    const results = await screener().screenCustomers([karimov, ada]);
    expect(decryptions).toBe(before.decryptions);
    expect(results.get(karimov)).toEqual({
      customer_id: karimov,
      status: 'confirmed_match',
      list_version: 1,
      match: { ent_num: 10001, name: 'KARIMOV, Rustam Aliyevich', score: 1 },
    });
    expect((await storedScreening(karimov)).screened_at).toEqual(before.karimov.screened_at);
  });

  it('screens again against a newer list', async () => {
    // Version 2 no longer lists KARIMOV.
    expect(await loadList(SDN_FIXTURE_ROWS.filter((row) => row.ent_num !== 10001))).toBe(2);
    const results = await screener().screenCustomers([karimov, close, haddad]);
    expect(results.get(karimov)).toEqual({
      customer_id: karimov,
      status: 'clear',
      list_version: 2,
      match: null,
    });
    expect(results.get(close)).toEqual({ customer_id: close, status: 'clear', list_version: 2, match: null });
    expect(results.get(haddad)).toMatchObject({ status: 'confirmed_match', list_version: 2 });
    expect(await storedScreening(karimov)).toMatchObject({ status: 'clear', version: 2, match: null });
  });

  it('lets two workers screening the same customers at once agree on what is recorded', async () => {
    expect(await loadList()).toBe(3);
    const ids = [ada, close, karimov, haddad];
    const [first, second] = await Promise.all([
      screener().screenCustomers(ids),
      screener().screenCustomers(ids),
    ]);
    expect(first).toEqual(second);
    expect(first.get(karimov)).toMatchObject({ status: 'confirmed_match', list_version: 3 });
  });

  it('stores and logs no personal data', async () => {
    const { rows } = await database.pool.query(
      `SELECT sanctions_match::text AS match FROM customers WHERE id = ANY($1::uuid[])`,
      [[karimov, close]],
    );
    for (const row of rows)
      expect(Object.keys(JSON.parse(row.match)).sort()).toEqual(['ent_num', 'list_version', 'name', 'score']);
    const logged = JSON.stringify(lines);
    for (const secret of [
      'Rustam Aliyevich Karimov',
      'Samir Haddad',
      'Ada Lovelace',
      '1953-04-02',
      'rk@example.uz',
    ])
      expect(logged).not.toContain(secret);
  });
});

describe('the recorded screening', () => {
  it('is kept whole by the database: a match belongs to its screening, a clear customer has none', async () => {
    const { rows } = await database.pool.query(
      `SELECT id::text AS id FROM customers WHERE sanctions_status = 'confirmed_match' AND sanctions_screened_version IS NOT NULL LIMIT 1`,
    );
    const id = rows[0].id;
    const update = (set: string) => database.pool.query(`UPDATE customers SET ${set} WHERE id = $1`, [id]);
    await expect(
      update(`sanctions_match = jsonb_set(sanctions_match, '{list_version}', '999')`),
    ).rejects.toThrow(/customers_sanctions_match_shape/);
    await expect(update(`sanctions_match = '{"ent_num": 1}'`)).rejects.toThrow(
      /customers_sanctions_match_shape/,
    );
    await expect(update(`sanctions_status = 'clear'`)).rejects.toThrow(
      /customers_sanctions_clear_has_no_match/,
    );
    await expect(update(`sanctions_screened_at = NULL`)).rejects.toThrow(
      /customers_sanctions_screened_whole/,
    );
    await expect(
      update(`sanctions_screened_version = 999, sanctions_match = NULL, sanctions_status = 'clear'`),
    ).rejects.toThrow(/customers_sanctions_screened_version_fkey/);
  });

  it('set clear by hand drops the match and holds until a newer list', async () => {
    const { rows } = await database.pool.query(
      `SELECT id::text AS id, sanctions_screened_version::integer AS version FROM customers WHERE sanctions_status = 'potential_match' LIMIT 1`,
    );
    const { id, version } = rows[0];
    expect(await customers.setSanctionsStatus(id, 'clear')).toMatchObject({
      ok: true,
      value: { sanctions_status: 'clear' },
    });
    expect(await storedScreening(id)).toMatchObject({ status: 'clear', version, match: null });
    expect((await screener().screenCustomers([id])).get(id)).toEqual({
      customer_id: id,
      status: 'clear',
      list_version: version,
      match: null,
    });
  });
});

describe('rescreenAll', () => {
  it('screens every customer behind the list, resumes after a crash, and reports the counts', async () => {
    const created = [
      await createCustomer({ full_name: 'Grace Hopper', country: 'US' }),
      await createCustomer({ full_name: 'Min Htet Aung', country: 'MM' }),
      await createCustomer({ full_name: 'Htet Aung Min', country: 'TH' }),
      await createCustomer({ full_name: 'Chol Su Pak', country: 'CN', date_of_birth: '1971-05-05' }),
      await createCustomer({ full_name: 'North Wind Shipping', country: 'IR' }),
    ];
    const version = await loadList(SDN_FIXTURE_ROWS.slice().reverse());
    const { rows: behindRows } = await database.pool.query(
      `SELECT count(*)::integer AS n FROM customers WHERE coalesce(sanctions_screened_version, 0) < $1`,
      [version],
    );
    const total = behindRows[0].n;
    expect(total).toBe(created.length + 4);

    // The first run dies after its second page of two.
    const progress: Array<[number, number]> = [];
    const crashing = screener(2).rescreenAll(version, {
      on_progress: (screened, of) => {
        progress.push([screened, of]);
        if (screened >= 4) throw new Error('worker killed');
      },
    });
    await expect(crashing).rejects.toThrow('worker killed');
    expect(progress).toEqual([
      [2, total],
      [4, total],
    ]);

    const resumed: Array<[number, number]> = [];
    const counts = await screener(2).rescreenAll(version, {
      on_progress: (screened, of) => void resumed.push([screened, of]),
    });
    expect(counts.screened).toBe(total - 4);
    expect(resumed.at(-1)).toEqual([total - 4, total - 4]);

    const { rows } = await database.pool.query(
      `SELECT sanctions_status::text AS status, count(*)::integer AS n FROM customers WHERE sanctions_screened_version = $1 GROUP BY 1`,
      [version],
    );
    const all = Object.fromEntries(rows.map((row) => [row.status, row.n]));
    // Clear: Grace Hopper and Ada. Potential: the Karimov look-alike, and Aung in Thailand (words in
    // another order). Confirmed: Aung in Burma, Pak by year of birth, North Wind (an exact alias) in
    // Iran, Karimov in Uzbekistan and Haddad by date of birth.
    expect(all).toEqual({ clear: 2, potential_match: 2, confirmed_match: 5 });
    expect(counts.clear + counts.potential_match + counts.confirmed_match).toBe(counts.screened);

    expect(lines.filter((line) => line['msg'] === 'customers rescreened').at(-1)).toMatchObject({
      list_version: version,
      total: total - 4,
      screened: total - 4,
    });
    for (const secret of ['Grace Hopper', 'Min Htet Aung', '1971-05-05'])
      expect(JSON.stringify(lines)).not.toContain(secret);

    // Nothing is left behind: running again screens nobody.
    expect(await screener().rescreenAll(version)).toEqual({
      screened: 0,
      clear: 0,
      potential_match: 0,
      confirmed_match: 0,
    });
  });

  it('screens against the latest list when asked for an older one, and refuses one never loaded', async () => {
    const latest = await loadList(SDN_FIXTURE_ROWS.slice(0, 3));
    expect(await screener().rescreenAll(latest - 1)).toMatchObject({ screened: 9 });
    const { rows } = await database.pool.query(
      `SELECT DISTINCT sanctions_screened_version::integer AS version FROM customers`,
    );
    expect(rows).toEqual([{ version: latest }]);
    await expect(screener().rescreenAll(latest + 1)).rejects.toBeInstanceOf(UnknownListVersionError);
  });
});
