import { createTestDatabase, type TestDatabase } from '@ledgerline/db/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerFixtures, type AccountOptions, type LedgerFixtures } from '../testing';
import { createPostingEngine, type PostingEngine } from './posting-engine';

let database: TestDatabase;
let fixtures: LedgerFixtures;
let engine: PostingEngine;

beforeAll(async () => {
  database = await createTestDatabase();
  fixtures = createLedgerFixtures(database);
  engine = createPostingEngine({ db: database.db, batch_size_max: 100 });
});

afterAll(async () => {
  await database.drop();
});

describe('posting engine: transfers without a hold', () => {
  it('posts an approved transfer: two entries, both accounts once, the transfer posted', async () => {
    const source = await fixtures.fundedAccount('100.00');
    const destination = await fixtures.fundedAccount('5.00');
    const transfer = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '30.25',
      description: 'rent',
    });

    expect(await engine.advance([transfer])).toEqual([
      { transfer_id: transfer, status: 'posted', status_reason: null, changed: true },
    ]);

    const stored = await fixtures.readTransfer(transfer);
    expect(stored).toMatchObject({ status: 'posted', status_reason: null, captured_amount: null });
    expect(stored.posted_at).toBeInstanceOf(Date);
    expect(await fixtures.entriesOf({ transfer_id: transfer })).toEqual([
      expect.objectContaining({
        account_id: source,
        direction: 'debit',
        amount: '30.2500',
        balance_after: '69.7500',
        account_sequence: '2',
      }),
      expect.objectContaining({
        account_id: destination,
        direction: 'credit',
        amount: '30.2500',
        balance_after: '35.2500',
        account_sequence: '2',
      }),
    ]);
    expect(await fixtures.readAccount(source)).toMatchObject({
      posted: '69.7500',
      last_entry_sequence: '2',
      version: '3',
    });
    expect(await fixtures.readAccount(destination)).toMatchObject({
      posted: '35.2500',
      last_entry_sequence: '2',
    });
  });

  it('rejects for insufficient funds and leaves the accounts untouched', async () => {
    const source = await fixtures.fundedAccount('10.00');
    const destination = await fixtures.account();
    const before = await fixtures.readAccount(source);
    const transfer = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '10.01',
    });

    expect(await engine.advance([transfer])).toEqual([
      { transfer_id: transfer, status: 'rejected', status_reason: 'insufficient_funds', changed: true },
    ]);
    expect(await fixtures.readAccount(source)).toEqual(before);
    expect(await fixtures.entriesOf({ transfer_id: transfer })).toEqual([]);
  });

  it.each<[string, AccountOptions, AccountOptions, string]>([
    ['a frozen source', { status: 'frozen' }, {}, 'account_frozen'],
    ['a closed source', { status: 'closed' }, {}, 'account_closed'],
    ['a frozen destination', {}, { status: 'frozen' }, 'account_frozen'],
    ['a closed destination', {}, { status: 'closed' }, 'account_closed'],
    ['a destination in another currency', {}, { currency: 'EUR' }, 'currency_mismatch'],
  ])('rejects a transfer with %s', async (_name, sourceOptions, destinationOptions, reason) => {
    // Funded while active, then frozen or closed: the state the engine meets in production.
    const source = await fixtures.fundedAccount('50.00');
    await database.pool.query(`UPDATE accounts SET status = $2 WHERE id = $1`, [
      source,
      sourceOptions.status ?? 'active',
    ]);
    const destination = await fixtures.account(destinationOptions);
    const transfer = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '1.00',
    });

    const [result] = await engine.advance([transfer]);
    expect(result).toMatchObject({ status: 'rejected', status_reason: reason, changed: true });
    expect((await fixtures.readAccount(source)).posted).toBe('50.0000');
  });

  it('lets an account use its overdraft, and not a cent more', async () => {
    const source = await fixtures.fundedAccount('20.00', { overdraft_limit: '50.00' });
    const destination = await fixtures.account();
    const withinLimit = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '70.00',
    });
    const beyondLimit = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '0.01',
    });

    const results = await engine.advance([withinLimit, beyondLimit]);
    expect(results.map((result) => [result.status, result.status_reason])).toEqual([
      ['posted', null],
      ['rejected', 'insufficient_funds'],
    ]);
    expect(await fixtures.readAccount(source)).toMatchObject({ posted: '-50.0000', available: '0.0000' });
  });

  it('answers not_found for unknown and malformed ids without failing the others', async () => {
    const source = await fixtures.fundedAccount('10.00');
    const transfer = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: await fixtures.account(),
      amount: '1.00',
    });
    const unknown = uuidv7();

    const results = await engine.advance([unknown, 'not-a-uuid', transfer]);
    expect(results).toEqual([
      { transfer_id: unknown, status: 'not_found', status_reason: null, changed: false },
      { transfer_id: 'not-a-uuid', status: 'not_found', status_reason: null, changed: false },
      { transfer_id: transfer, status: 'posted', status_reason: null, changed: true },
    ]);
  });

  it('refuses more ids than batch_size_max', async () => {
    const small = createPostingEngine({ db: database.db, batch_size_max: 2 });
    await expect(small.advance([uuidv7(), uuidv7(), uuidv7()])).rejects.toThrow(RangeError);
  });

  it('leaves transfers that are not approved or pending alone', async () => {
    const source = await fixtures.fundedAccount('10.00');
    const destination = await fixtures.account();
    const ids = [];
    for (const status of ['received', 'screening', 'held', 'rejected'] as const) {
      ids.push(
        await fixtures.transfer({
          source_account_id: source,
          destination_account_id: destination,
          amount: '1.00',
          status,
        }),
      );
    }
    const results = await engine.advance(ids);
    expect(results.map((result) => [result.status, result.changed])).toEqual([
      ['received', false],
      ['screening', false],
      ['held', false],
      ['rejected', false],
    ]);
  });
});

describe('posting engine: holds', () => {
  it('reserves, then captures part: the captured amount posts and the rest is released', async () => {
    const source = await fixtures.fundedAccount('100.00');
    const destination = await fixtures.account();
    const hold = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '60.00',
      hold: true,
      hold_expires_at: new Date(Date.now() + 3_600_000),
    });

    expect(await engine.advance([hold])).toEqual([
      { transfer_id: hold, status: 'pending', status_reason: null, changed: true },
    ]);
    expect(await fixtures.readAccount(source)).toMatchObject({
      posted: '100.0000',
      pending_debits: '60.0000',
      available: '40.0000',
    });
    expect(await fixtures.readAccount(destination)).toMatchObject({
      posted: '0.0000',
      pending_credits: '60.0000',
    });
    expect(await fixtures.entriesOf({ transfer_id: hold })).toEqual([]);

    // A second advance of a live hold with no action has nothing to do.
    expect((await engine.advance([hold]))[0]?.changed).toBe(false);

    await database.pool.query(
      `UPDATE transfers SET hold_action = 'capture', hold_action_amount = 45.5 WHERE id = $1`,
      [hold],
    );
    expect(await engine.advance([hold])).toEqual([
      { transfer_id: hold, status: 'posted', status_reason: null, changed: true },
    ]);

    expect(await fixtures.readTransfer(hold)).toMatchObject({ status: 'posted', captured_amount: '45.5000' });
    expect(await fixtures.readAccount(source)).toMatchObject({
      posted: '54.5000',
      pending_debits: '0.0000',
      available: '54.5000',
    });
    expect(await fixtures.readAccount(destination)).toMatchObject({
      posted: '45.5000',
      pending_credits: '0.0000',
    });
    expect(
      (await fixtures.entriesOf({ transfer_id: hold })).map((entry) => [entry.direction, entry.amount]),
    ).toEqual([
      ['debit', '45.5000'],
      ['credit', '45.5000'],
    ]);
  });

  it('counts holds against what the source can still send', async () => {
    const source = await fixtures.fundedAccount('100.00');
    const destination = await fixtures.account();
    const first = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '80.00',
      hold: true,
    });
    const second = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '30.00',
    });
    const results = await engine.advance([first, second]);
    expect(results.map((result) => [result.status, result.status_reason])).toEqual([
      ['pending', null],
      ['rejected', 'insufficient_funds'],
    ]);
  });

  it('voids a hold on request and releases the reservation', async () => {
    const source = await fixtures.fundedAccount('100.00');
    const destination = await fixtures.account();
    const hold = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '25.00',
      hold: true,
    });
    await engine.advance([hold]);
    await database.pool.query(`UPDATE transfers SET hold_action = 'void' WHERE id = $1`, [hold]);

    expect(await engine.advance([hold])).toEqual([
      { transfer_id: hold, status: 'voided', status_reason: null, changed: true },
    ]);
    expect(await fixtures.readAccount(source)).toMatchObject({
      posted: '100.0000',
      pending_debits: '0.0000',
      available: '100.0000',
    });
    expect(await fixtures.readAccount(destination)).toMatchObject({ pending_credits: '0.0000' });
    expect(await fixtures.entriesOf({ transfer_id: hold })).toEqual([]);
  });

  it('voids an expired hold with hold_expired once its time has come, not before', async () => {
    const source = await fixtures.fundedAccount('100.00');
    const destination = await fixtures.account();
    const expiresAt = new Date(Date.now() + 60_000);
    const hold = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '25.00',
      hold: true,
      hold_expires_at: expiresAt,
    });
    await engine.advance([hold]);

    expect((await engine.advance([hold]))[0]).toMatchObject({ status: 'pending', changed: false });
    const later = createPostingEngine({
      db: database.db,
      batch_size_max: 10,
      clock: () => new Date(expiresAt.getTime() + 1),
    });
    expect(await later.advance([hold])).toEqual([
      { transfer_id: hold, status: 'voided', status_reason: 'hold_expired', changed: true },
    ]);
    expect(await fixtures.readAccount(source)).toMatchObject({
      pending_debits: '0.0000',
      available: '100.0000',
    });
  });
});

describe('posting engine: atomic batches', () => {
  it('posts every transfer of an atomic batch together', async () => {
    const first = await fixtures.fundedAccount('50.00');
    const second = await fixtures.fundedAccount('50.00');
    const destination = await fixtures.account();
    const batch = await fixtures.batch({ atomic: true });
    const ids = [
      await fixtures.transfer({
        source_account_id: first,
        destination_account_id: destination,
        amount: '50.00',
        batch_id: batch,
      }),
      await fixtures.transfer({
        source_account_id: second,
        destination_account_id: destination,
        amount: '20.00',
        batch_id: batch,
      }),
    ];
    const results = await engine.advanceAtomicBatch(batch);
    expect(results.map((result) => [result.transfer_id, result.status])).toEqual(
      ids.map((id) => [id, 'posted']),
    );
    expect((await fixtures.readAccount(destination)).posted).toBe('70.0000');
  });

  it('rejects every transfer with the first failure reason and moves no money', async () => {
    const rich = await fixtures.fundedAccount('100.00');
    const poor = await fixtures.fundedAccount('5.00');
    const destination = await fixtures.account();
    const batch = await fixtures.batch({ atomic: true });
    const ids = [
      await fixtures.transfer({
        source_account_id: rich,
        destination_account_id: destination,
        amount: '60.00',
        batch_id: batch,
      }),
      await fixtures.transfer({
        source_account_id: poor,
        destination_account_id: destination,
        amount: '6.00',
        batch_id: batch,
      }),
      await fixtures.transfer({
        source_account_id: rich,
        destination_account_id: destination,
        amount: '1.00',
        batch_id: batch,
      }),
    ];
    const accountsBefore = await Promise.all([rich, poor, destination].map((id) => fixtures.readAccount(id)));

    // Advancing one member brings the whole batch along.
    const [result] = await engine.advance([ids[2]!]);
    expect(result).toMatchObject({ status: 'rejected', status_reason: 'insufficient_funds', changed: true });
    for (const id of ids) {
      expect(await fixtures.readTransfer(id)).toMatchObject({
        status: 'rejected',
        status_reason: 'insufficient_funds',
        posted_at: null,
      });
      expect(await fixtures.entriesOf({ transfer_id: id })).toEqual([]);
    }
    expect(await Promise.all([rich, poor, destination].map((id) => fixtures.readAccount(id)))).toEqual(
      accountsBefore,
    );
    expect((await engine.advanceAtomicBatch(batch)).every((outcome) => !outcome.changed)).toBe(true);
  });

  it('waits while a member is with compliance', async () => {
    const source = await fixtures.fundedAccount('100.00');
    const destination = await fixtures.account();
    const batch = await fixtures.batch({ atomic: true });
    const approved = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '1.00',
      batch_id: batch,
    });
    await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '1.00',
      batch_id: batch,
      status: 'held',
    });
    expect(await engine.advance([approved])).toEqual([
      { transfer_id: approved, status: 'approved', status_reason: null, changed: false },
    ]);
  });

  it('advances a batch that is not atomic transfer by transfer', async () => {
    const source = await fixtures.fundedAccount('10.00');
    const destination = await fixtures.account();
    const batch = await fixtures.batch({ atomic: false });
    await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '8.00',
      batch_id: batch,
    });
    await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '8.00',
      batch_id: batch,
    });
    const results = await engine.advanceAtomicBatch(batch);
    expect(results.map((result) => result.status)).toEqual(['posted', 'rejected']);
  });
});

describe('posting engine: exactly once', () => {
  it('changes nothing when the same transfers are advanced again', async () => {
    const source = await fixtures.fundedAccount('100.00');
    const destination = await fixtures.account();
    const transfer = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '10.00',
    });
    await engine.advance([transfer]);
    const accountBefore = await fixtures.readAccount(source);
    const transferBefore = await fixtures.readTransfer(transfer);

    expect(await engine.advance([transfer, transfer])).toEqual([
      { transfer_id: transfer, status: 'posted', status_reason: null, changed: false },
      { transfer_id: transfer, status: 'posted', status_reason: null, changed: false },
    ]);
    expect(await fixtures.readAccount(source)).toEqual(accountBefore);
    expect(await fixtures.readTransfer(transfer)).toEqual(transferBefore);
    expect(await fixtures.entriesOf({ transfer_id: transfer })).toHaveLength(2);
  });

  it('has the database refuse a second debit for the same transfer', async () => {
    const source = await fixtures.fundedAccount('100.00');
    const transfer = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: await fixtures.account(),
      amount: '10.00',
    });
    await engine.advance([transfer]);
    await expect(
      database.pool.query(
        `INSERT INTO journal_entries (id, account_id, transfer_id, direction, amount, currency, balance_after, account_sequence, posted_at)
         VALUES ($1, $2, $3, 'debit', 10, 'USD', 80, 99, now())`,
        [uuidv7(), source, transfer],
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'journal_entries_transfer_id_direction_key' });
  });

  it('posts nothing when the stored totals would not come out as the computation says', async () => {
    const source = await fixtures.fundedAccount('100.00');
    const destination = await fixtures.account();
    const transfer = await fixtures.transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '10.00',
    });
    const before = await fixtures.readAccount(destination);
    // A writer the engine does not know about skims a cent off every change to the destination's row.
    await database.pool.query(`
      CREATE FUNCTION test_skim() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id = '${destination}'::uuid THEN NEW.posted_credits := NEW.posted_credits - 0.01; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_skim BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION test_skim();`);
    try {
      await expect(engine.advance([transfer])).rejects.toThrow(
        `stored totals disagree with the posting computation: accounts ${destination}`,
      );
    } finally {
      await database.pool.query('DROP TRIGGER test_skim ON accounts; DROP FUNCTION test_skim();');
    }
    expect(await fixtures.readTransfer(transfer)).toMatchObject({ status: 'approved' });
    expect(await fixtures.readAccount(destination)).toEqual(before);
    expect(await fixtures.entriesOf({ transfer_id: transfer })).toEqual([]);
    // With the skimming gone, the same transfer posts exactly once.
    expect(await engine.advance([transfer])).toEqual([
      { transfer_id: transfer, status: 'posted', status_reason: null, changed: true },
    ]);
    expect(await fixtures.readAccount(destination)).toMatchObject({ posted: '10.0000' });
  });

  it('runs a constant number of statements per batch, whatever its size', async () => {
    const counted = countingDatabase(database);
    const countingEngine = createPostingEngine({ db: counted.db, batch_size_max: 200 });
    const statementsFor = async (size: number) => {
      const source = await fixtures.fundedAccount('1000.00');
      const ids = [];
      for (let index = 0; index < size; index += 1) {
        ids.push(
          await fixtures.transfer({
            source_account_id: source,
            destination_account_id: await fixtures.account(),
            amount: '1.00',
          }),
        );
      }
      counted.statements = 0;
      const results = await countingEngine.advance(ids);
      expect(results.every((result) => result.status === 'posted')).toBe(true);
      return counted.statements;
    };
    // Lock transfers, lock accounts, insert entries, update accounts and transfers.
    expect(await statementsFor(1)).toBe(4);
    expect(await statementsFor(150)).toBe(4);
  });
});

/** Wraps the Prisma client so that every raw statement run inside a transaction is counted. */
function countingDatabase(database: TestDatabase) {
  const counter = { statements: 0, db: database.db };
  const countCalls = (tx: object) =>
    new Proxy(tx, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function' || !String(property).startsWith('$')) return value;
        return (...args: unknown[]) => {
          counter.statements += 1;
          return (value as (...parameters: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  counter.db = new Proxy(database.db, {
    get(target, property, receiver) {
      if (property !== '$transaction') return Reflect.get(target, property, receiver) as unknown;
      return (work: (tx: object) => Promise<unknown>, transactionOptions: unknown) =>
        target.$transaction((tx) => work(countCalls(tx)), transactionOptions as never);
    },
  });
  return counter;
}
