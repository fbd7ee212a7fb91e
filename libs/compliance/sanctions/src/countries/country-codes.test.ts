import { describe, expect, it } from 'vitest';
import { countryCodeOf, countryCodeOfPlace } from './country-codes';

describe('countryCodeOf', () => {
  it.each([
    ['Iran', 'IR'],
    ['Korea, North', 'KP'],
    ['North Korea', 'KP'],
    ['Korea, South', 'KR'],
    ['Burma', 'MM'],
    ['Myanmar', 'MM'],
    ['Russia', 'RU'],
    ['Turkey', 'TR'],
    ['Türkiye', 'TR'],
    ["Cote d'Ivoire", 'CI'],
    ['Congo, Democratic Republic of the', 'CD'],
    ['Congo, Republic of the', 'CG'],
    ['Bosnia and Herzegovina', 'BA'],
    ['Saint Kitts and Nevis', 'KN'],
    ['Saint Vincent and the Grenadines', 'VC'],
    ['Gambia, The', 'GM'],
    ['Hong Kong', 'HK'],
    ['Macau', 'MO'],
    ['West Bank', 'PS'],
    ['United Kingdom', 'GB'],
    ['United States', 'US'],
    ['Kosovo', 'XK'],
    ['syria.', 'SY'],
  ])('reads %s as %s', (name, code) => {
    expect(countryCodeOf(name)).toBe(code);
  });

  it('knows no code for what is not a country', () => {
    for (const name of ['Atlantis', 'European Union', 'United Nations', 'Unknown Region', '', 'Tehran'])
      expect(countryCodeOf(name), name).toBeNull();
  });
});

describe('countryCodeOfPlace', () => {
  it('takes the longest trailing run of parts that names a country', () => {
    expect(countryCodeOfPlace('Tehran, Iran')).toBe('IR');
    expect(countryCodeOfPlace('Pyongyang, Korea, North')).toBe('KP');
    expect(countryCodeOfPlace('Atlanta, Georgia, United States')).toBe('US');
    expect(countryCodeOfPlace('Tbilisi, Georgia')).toBe('GE');
    expect(countryCodeOfPlace('Somewhere, Nowhere')).toBeNull();
  });
});
