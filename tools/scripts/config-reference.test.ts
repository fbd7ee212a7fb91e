import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_REFERENCE_PATH, configVariables, renderConfigReference } from './config-reference';

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` writes from the schemas today (run it after changing a schema)', () => {
    expect(readFileSync(CONFIG_REFERENCE_PATH, 'utf8')).toBe(renderConfigReference());
  });

  it('says what every variable of every process means', () => {
    const variables = configVariables();
    expect(
      variables.filter((variable) => variable.description === '').map((variable) => variable.name),
    ).toEqual([]);
    // The variables operators set first are all there, with the processes that read them.
    const byName = new Map(variables.map((variable) => [variable.name, variable]));
    expect(byName.get('DATABASE_URL')?.read_by).not.toContain('gateway');
    expect(byName.get('OPS_PORT')?.read_by).toEqual(['outbox-relay', 'compliance-worker', 'ledger-worker']);
    expect(byName.get('JWT_PRIVATE_KEY')?.defaults.size).toBe(0);
    expect(byName.get('PORT')?.defaults.get('transactions-api')).toBe(3002);
  });
});
