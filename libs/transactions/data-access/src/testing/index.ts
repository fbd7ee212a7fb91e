/**
 * Test helpers for projects that test transfers against a real database (`@ledgerline/db/testing`):
 * customers and accounts seeded with SQL, counts of the rows accepting a request writes, and moving a
 * transfer's status as the workers would.
 */
export { forceStatus, seedAccount, seedCustomer, writtenRows } from './seed';
