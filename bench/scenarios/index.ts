import type { Scenario } from '../lib/context';
import { accept } from './accept';
import { endToEnd } from './end-to-end';
import { ledgerEngine } from './ledger-engine';
import { ledgerWorkerMemory } from './ledger-worker-memory';
import { memory } from './memory';
import { reads } from './reads';
import { referenceFastify } from './reference-fastify';
import { referencePgbench } from './reference-pgbench';

/**
 * In run order: the references first (every ratio needs them), the engine and the ledger worker alone
 * before the platform starts (so nothing else competes for the CPU; the worker scenario stops its own
 * processes and drops its own database before the next one starts), the platform's scenarios after,
 * memory last before it stops.
 */
export const SCENARIOS: readonly Scenario[] = [
  referencePgbench,
  referenceFastify,
  ledgerEngine,
  ledgerWorkerMemory,
  reads,
  accept,
  endToEnd,
  memory,
];
