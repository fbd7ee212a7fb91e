import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SDN_FIXTURE_CSV, SDN_FIXTURE_ROWS, sdnCsv, sdnCsvRow } from '../testing';
import {
  parseSdnCsv,
  SDN_CSV_COLUMNS,
  SDN_CSV_LIMITS,
  type SdnCsvParseResult,
  type SdnEntry,
} from './sdn-csv';
import { parseDateOfBirth, parseSdnRemarks } from './sdn-remarks';

function entriesOf(result: SdnCsvParseResult): SdnEntry[] {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.entries;
}

function byEntNum(entries: SdnEntry[], ent_num: number): SdnEntry {
  const entry = entries.find((candidate) => candidate.ent_num === ent_num);
  if (entry === undefined) throw new Error(`no entry ${ent_num}`);
  return entry;
}

describe('parseSdnCsv', () => {
  it("reads OFAC's format: quoted fields, commas and quotes inside them, -0- as empty, Ctrl-Z at the end", async () => {
    const entries = entriesOf(await parseSdnCsv(SDN_FIXTURE_CSV));
    expect(entries.map((entry) => entry.ent_num)).toEqual(SDN_FIXTURE_ROWS.map((row) => row.ent_num));
    expect(byEntNum(entries, 10001)).toEqual({
      ent_num: 10001,
      name: 'KARIMOV, Rustam Aliyevich',
      sdn_type: 'individual',
      program: 'SDGT',
      normalized_name: 'rustam aliyevich karimov',
      aliases: ['KARIMI, Rostam', 'ABU RUSTAM'],
      countries: ['UZ'],
      dates_of_birth: ['1951-06-10'],
    });
    expect(byEntNum(entries, 10002)).toMatchObject({
      name: 'NORTHWIND MARITIME TRADING CO., LTD.',
      sdn_type: 'entity',
      program: 'IRAN] [SDGT',
      // An entity's comma is part of its name: no reordering.
      normalized_name: 'northwind maritime trading co ltd',
      aliases: ['NORTH WIND SHIPPING'],
      countries: ['IR'],
      dates_of_birth: [],
    });
    expect(byEntNum(entries, 10004)).toMatchObject({ sdn_type: 'vessel', countries: ['PA'], aliases: [] });
  });

  it('reads unicode names', async () => {
    const entries = entriesOf(await parseSdnCsv(SDN_FIXTURE_CSV));
    expect(byEntNum(entries, 10003)).toMatchObject({
      name: 'MÜLLER-ŁUKASZEWICZ, Jörg',
      normalized_name: 'jorg muller lukaszewicz',
      countries: ['RU'],
      dates_of_birth: ['1962'],
    });
    expect(byEntNum(entries, 10009)).toMatchObject({
      normalized_name: 'ayse gul celik',
      countries: ['TR'],
      dates_of_birth: ['1984-02-29'],
      aliases: ['CELIK, Ayse'],
    });
  });

  it('reads the same whatever bytes the chunks end on, inside a character or a quoted line end among them', async () => {
    const text = sdnCsv([
      ...SDN_FIXTURE_ROWS,
      {
        ent_num: 20001,
        name: '王, 小明',
        sdn_type: 'individual',
        remarks: "a.k.a. '🦊 FOX'; nationality China.",
      },
      { ent_num: 20002, name: 'OCEAN\r\nSTAR 🚢', sdn_type: 'vessel', vessel_flag: 'Panama' },
    ]);
    const whole = await parseSdnCsv(text);
    expect(entriesOf(whole)).toHaveLength(SDN_FIXTURE_ROWS.length + 2);
    for (const chunk_bytes of [1, 2, 3, 5, 7])
      expect(await parseSdnCsv(text, { chunk_bytes, entries_per_turn: 2 })).toEqual(whole);
    // And a syntax error is named on the same line however the bytes arrive.
    const broken = `${sdnCsvRow({ ent_num: 1, name: 'ŁÓDŹ' })}\r\n2,"BROKEN "QUOTE","-0- "`;
    expect(await parseSdnCsv(broken, { chunk_bytes: 3 })).toEqual(await parseSdnCsv(broken));
  });

  it('lets other work run while it parses a list the size of the real one', async () => {
    const rows = Array.from({ length: 18_000 }, (_, index) => ({
      ...SDN_FIXTURE_ROWS[index % SDN_FIXTURE_ROWS.length]!,
      ent_num: 100_000 + index,
    }));
    const happened: string[] = [];
    const parsing = parseSdnCsv(sdnCsv(rows)).then((result) =>
      happened.push(result.ok ? 'parsed' : 'refused'),
    );
    // A request arriving meanwhile (here a timer) is served before the parse ends, not after it.
    setTimeout(() => happened.push('timer'), 1);
    await parsing;
    expect(happened).toEqual(['timer', 'parsed']);
  });

  it('accepts a header row naming the columns, and LF line ends', async () => {
    const withHeader = `${SDN_CSV_COLUMNS.join(',')}\n${sdnCsvRow({ ent_num: 7, name: 'ACME TRADING' })}\n`;
    expect(entriesOf(await parseSdnCsv(withHeader)).map((entry) => entry.name)).toEqual(['ACME TRADING']);
  });

  it('names every line with a wrong column count, a bad ent_num, a repeated one, or no name', async () => {
    const text = [
      sdnCsvRow({ ent_num: 1, name: 'GOOD ONE' }),
      '2,"TOO FEW","-0- "',
      sdnCsvRow({ ent_num: 'x12', name: 'NOT A NUMBER' }),
      sdnCsvRow({ ent_num: '3.5', name: 'NOT AN INTEGER' }),
      sdnCsvRow({ ent_num: 0, name: 'ZERO' }),
      sdnCsvRow({ ent_num: 1, name: 'AGAIN' }),
      sdnCsvRow({ ent_num: 4, name: '-0- ' }),
      sdnCsvRow({ ent_num: 5, name: 'BOAT', sdn_type: 'submarine' }),
      sdnCsvRow({ ent_num: 6, name: '?!' }),
      `${sdnCsvRow({ ent_num: 7, name: 'ONE TOO MANY' })},"extra"`,
    ].join('\r\n');
    const result = await parseSdnCsv(text);
    expect(result).toEqual({
      ok: false,
      errors: [
        { line: 2, message: 'expected 12 columns, found 3' },
        { line: 3, message: 'ent_num must be a positive integer' },
        { line: 4, message: 'ent_num must be a positive integer' },
        { line: 5, message: 'ent_num must be a positive integer' },
        { line: 6, message: 'ent_num 1 is also on line 1' },
        { line: 7, message: 'SDN_Name is empty' },
        { line: 8, message: 'SDN_Type must be one of individual, vessel, aircraft or -0-' },
        { line: 9, message: 'SDN_Name has no letters or digits' },
        { line: 10, message: 'expected 12 columns, found 13' },
      ],
    });
  });

  it('refuses broken quoting with the line it happened on', async () => {
    const text = `${sdnCsvRow({ ent_num: 1, name: 'FINE' })}\r\n2,"BROKEN "QUOTE","-0- "`;
    expect(await parseSdnCsv(text)).toEqual({
      ok: false,
      errors: [{ line: 2, message: 'a quote inside a quoted field is not doubled' }],
    });
    expect(await parseSdnCsv(`${sdnCsvRow({ ent_num: 1, name: 'FINE' })}\r\n2,"NEVER CLOSED`)).toMatchObject({
      ok: false,
      errors: [{ message: 'a quoted field is not closed' }],
    });
  });

  it('refuses an empty file, one with only a header, and one with only blank lines', async () => {
    for (const text of ['', '\u001a', SDN_CSV_COLUMNS.join(','), '\r\n\r\n']) {
      expect(await parseSdnCsv(text), JSON.stringify(text)).toEqual({
        ok: false,
        errors: [{ line: null, message: 'the file has no entries' }],
      });
    }
  });

  it(`refuses more than ${SDN_CSV_LIMITS.entries_max} entries`, async () => {
    const row = (n: number) =>
      `${n},"E${n}","-0- ","P","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- "`;
    const lines: string[] = [];
    for (let n = 1; n <= SDN_CSV_LIMITS.entries_max + 1; n += 1) lines.push(row(n));
    expect(await parseSdnCsv(lines.join('\n'))).toEqual({
      ok: false,
      errors: [{ line: null, message: `the file has more than ${SDN_CSV_LIMITS.entries_max} entries` }],
    });
    expect(entriesOf(await parseSdnCsv(lines.slice(0, -1).join('\n')))).toHaveLength(
      SDN_CSV_LIMITS.entries_max,
    );
  });

  it(`reports at most ${SDN_CSV_LIMITS.errors_max} problems`, async () => {
    const text = Array.from({ length: 50 }, (_, index) => `${index + 1},"SHORT"`).join('\n');
    const result = await parseSdnCsv(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toHaveLength(SDN_CSV_LIMITS.errors_max);
  });

  it('round-trips any name and remarks written in its format, never throwing', async () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2_147_483_647 }),
        text,
        fc.option(text, { nil: undefined }),
        async (ent_num, name, remarks) => {
          const result = await parseSdnCsv(sdnCsv([{ ent_num, name, remarks }]));
          const trimmed = name.trim();
          if (result.ok) {
            expect(result.entries).toHaveLength(1);
            expect(result.entries[0]).toMatchObject({ ent_num, name: trimmed });
          } else {
            // Only a name that is empty, OFAC's empty marker, or without letters and digits is refused.
            expect(result.errors).toHaveLength(1);
            expect(result.errors[0]?.line).toBe(1);
            expect(result.errors[0]?.message).toMatch(/^SDN_Name (is empty|has no letters or digits)/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('parseSdnRemarks', () => {
  it('reads aliases of every kind, keeping quotes inside a name', () => {
    expect(
      parseSdnRemarks(
        "a.k.a. 'ABU ALI'; f.k.a. 'OLD NAME LTD'; n.k.a. 'NEW NAME LTD'; weak a.k.a. 'THE DOCTOR'; strong a.k.a. 'DR. X'; a.k.a. 'O'BRIEN, Sean' (weak); a.k.a. \"DOUBLE QUOTED\"; a.k.a. ‘CURLY’.",
      ).aliases,
    ).toEqual([
      'ABU ALI',
      'OLD NAME LTD',
      'NEW NAME LTD',
      'THE DOCTOR',
      'DR. X',
      "O'BRIEN, Sean",
      'DOUBLE QUOTED',
      'CURLY',
    ]);
  });

  it('reads countries from nationality, citizenship, places of birth and addresses', () => {
    expect(
      parseSdnRemarks(
        'nationality Iran; citizen Egypt; POB Pyongyang, Korea, North; alt. POB Yangon, Burma; Address 1 Main St, Moscow, Russia; Nationality of Registration Cyprus; nationality Atlantis',
      ).countries,
    ).toEqual(['IR', 'EG', 'KP', 'MM', 'RU', 'CY']);
  });

  it('reads dates of birth at the precision given, skipping impossible ones', () => {
    expect(
      parseSdnRemarks(
        'DOB 10 Jun 1951; alt. DOB 1951; DOB circa 1949; DOB 01 Jan 1950 to 31 Dec 1955; DOB Jun 1960; DOB 31 Feb 1970; DOB sometime',
      ).dates_of_birth,
    ).toEqual(['1951-06-10', '1951', '1949', '1950-01-01/1955-12-31', '1960-06']);
  });

  it('widens years and months at the ends of a range', () => {
    expect(parseDateOfBirth('1950 to 1955')).toBe('1950-01-01/1955-12-31');
    expect(parseDateOfBirth('Feb 1960 to Feb 1964')).toBe('1960-02-01/1964-02-29');
    expect(parseDateOfBirth('1960 to 1950')).toBeNull();
    expect(parseDateOfBirth('circa 10 Jun 1951')).toBe('1951-06-10');
  });

  it('reads nothing from empty remarks', () => {
    expect(parseSdnRemarks(null)).toEqual({ aliases: [], countries: [], dates_of_birth: [] });
  });
});
