import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@ledgerline/config';
import {
  ComplianceRulesConfigSchema,
  complianceThresholdsFromConfig,
  DEFAULT_COMPLIANCE_THRESHOLDS,
} from './compliance-thresholds';

describe('compliance thresholds', () => {
  it("default to the contract's rules", () => {
    const thresholds = DEFAULT_COMPLIANCE_THRESHOLDS;
    expect(thresholds.large_amount_min.toFixed()).toBe('10000');
    expect(thresholds.structuring.amount_min.toFixed()).toBe('8000');
    expect(thresholds.structuring.amount_max.toFixed()).toBe('9999.99');
    expect(thresholds.structuring.transfers_min).toBe(3);
    expect(thresholds.structuring.window_ms).toBe(24 * 60 * 60 * 1_000);
    expect(thresholds.velocity).toEqual({ transfers_max: 20, window_ms: 60 * 60 * 1_000 });
    expect([...thresholds.high_risk_countries].sort()).toEqual(['IR', 'KP', 'MM']);
    expect(thresholds.sanctions).toEqual({ potential_match_score: 0.92, confirmed_match_score: 0.97 });
  });

  it('are read from the environment, `none` naming no high-risk country', () => {
    const thresholds = complianceThresholdsFromConfig(
      loadConfig(ComplianceRulesConfigSchema, {
        COMPLIANCE_VELOCITY_TRANSFERS_MAX: '1000',
        COMPLIANCE_HIGH_RISK_COUNTRIES: 'none',
        COMPLIANCE_LARGE_AMOUNT_MIN: '5000.50',
      }),
    );
    expect(thresholds.velocity.transfers_max).toBe(1000);
    expect(thresholds.high_risk_countries.size).toBe(0);
    expect(thresholds.large_amount_min.toFixed()).toBe('5000.5');
  });

  it('refuse amounts that are not decimal strings and contradictory bounds, naming the variable', () => {
    expect(() => loadConfig(ComplianceRulesConfigSchema, { COMPLIANCE_LARGE_AMOUNT_MIN: '1e4' })).toThrow(
      /COMPLIANCE_LARGE_AMOUNT_MIN/,
    );
    expect(() => loadConfig(ComplianceRulesConfigSchema, { COMPLIANCE_HIGH_RISK_COUNTRIES: 'kp' })).toThrow(
      /COMPLIANCE_HIGH_RISK_COUNTRIES/,
    );
    const swapped = loadConfig(ComplianceRulesConfigSchema, {
      COMPLIANCE_STRUCTURING_AMOUNT_MIN: '9000',
      COMPLIANCE_STRUCTURING_AMOUNT_MAX: '8000',
    });
    expect(() => complianceThresholdsFromConfig(swapped)).toThrow(ConfigError);
  });
});
