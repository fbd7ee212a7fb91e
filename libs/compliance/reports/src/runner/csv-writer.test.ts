import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { createCsvWriter, ReportTooLargeError } from './csv-writer';

describe('createCsvWriter', () => {
  it('writes the header, then rows quoted where a cell needs it', () => {
    const csv = createCsvWriter(['id', 'note', 'amount'], 1_024);
    csv.write([
      ['a', 'plain', '10.0000'],
      ['b', 'with, comma and "quotes"', '-5.0000'],
    ]);
    csv.write([['c', null, 3]]);
    expect(csv.content()).toBe(
      'id,note,amount\na,plain,10.0000\nb,"with, comma and ""quotes""",-5.0000\nc,,3\n',
    );
    expect(parse(csv.content())).toEqual([
      ['id', 'note', 'amount'],
      ['a', 'plain', '10.0000'],
      ['b', 'with, comma and "quotes"', '-5.0000'],
      ['c', '', '3'],
    ]);
    expect(csv.rows).toBe(3);
    expect(csv.bytes).toBe(Buffer.byteLength(csv.content()));
  });

  it('refuses to grow past its cap, keeping what it had', () => {
    const csv = createCsvWriter(['id'], 20);
    csv.write([['0123456789']]);
    expect(() => csv.write([['0123456789']])).toThrow(ReportTooLargeError);
    expect(csv.content()).toBe('id\n0123456789\n');
    expect(csv.rows).toBe(1);
  });

  it('counts bytes, not characters', () => {
    const csv = createCsvWriter(['name'], 9);
    expect(() => csv.write([['ééé']])).toThrow(ReportTooLargeError);
  });

  it('refuses a row that does not match the columns', () => {
    const csv = createCsvWriter(['a', 'b'], 1_024);
    expect(() => csv.write([['only one']])).toThrow(TypeError);
  });
});
