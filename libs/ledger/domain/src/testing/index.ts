/** In-memory builders of account and transfer states, for tests of the domain and of its users. */
export { accountState, transferState } from '../posting/posting.fixtures';
