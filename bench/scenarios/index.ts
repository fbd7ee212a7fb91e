import type { Scenario } from '../lib/context';
import { accept } from './accept';
import { endToEnd } from './end-to-end';
import { ledgerEngine } from './ledger-engine';
import { memory } from './memory';
import { reads } from './reads';
import { referenceFastify } from './reference-fastify';
import { referencePgbench } from './reference-pgbench';

/**
 * In run order: the references first (every ratio needs them), the engine before the platform starts
 * (so nothing else competes for the CPU), the platform's scenarios after, memory last before it stops.
 */
export const SCENARIOS: readonly Scenario[] = [
  referencePgbench,
  referenceFastify,
  ledgerEngine,
  reads,
  accept,
  endToEnd,
  memory,
];
