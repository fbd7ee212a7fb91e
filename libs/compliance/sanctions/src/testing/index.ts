/**
 * Test helpers for projects that load sanctions lists: SDN.CSV rows in OFAC's own format (every field
 * quoted but the number, `-0- ` for empty values, CRLF line ends), and a small made-up list. The
 * people, companies and vessels in it are invented; any likeness to a real entry is an accident.
 */

export interface SdnCsvRowFields {
  ent_num: number | string;
  name: string;
  /** `individual`, `vessel`, `aircraft`; empty (an entity) when absent. */
  sdn_type?: string;
  program?: string;
  title?: string;
  call_sign?: string;
  vessel_type?: string;
  tonnage?: string;
  grt?: string;
  vessel_flag?: string;
  vessel_owner?: string;
  remarks?: string;
}

/** OFAC's empty value, with the trailing space the real file has. */
export const SDN_EMPTY = '-0- ';

function quoted(value: string | undefined): string {
  return `"${(value ?? SDN_EMPTY).replace(/"/g, '""')}"`;
}

/** One SDN.CSV line (without its line end). */
export function sdnCsvRow(fields: SdnCsvRowFields): string {
  return [
    String(fields.ent_num),
    quoted(fields.name),
    quoted(fields.sdn_type),
    quoted(fields.program),
    quoted(fields.title),
    quoted(fields.call_sign),
    quoted(fields.vessel_type),
    quoted(fields.tonnage),
    quoted(fields.grt),
    quoted(fields.vessel_flag),
    quoted(fields.vessel_owner),
    quoted(fields.remarks),
  ].join(',');
}

/** A whole SDN.CSV file of these rows, CRLF line ends and the trailing Ctrl-Z, as OFAC publishes it. */
export function sdnCsv(rows: readonly SdnCsvRowFields[]): string {
  return `${rows.map(sdnCsvRow).join('\r\n')}\r\n\u001a`;
}

/** The made-up list's rows: individuals, entities, a vessel; aliases, dates of birth and countries of every kind. */
export const SDN_FIXTURE_ROWS: readonly SdnCsvRowFields[] = [
  {
    ent_num: 10001,
    name: 'KARIMOV, Rustam Aliyevich',
    sdn_type: 'individual',
    program: 'SDGT',
    remarks:
      "DOB 10 Jun 1951; POB Tashkent, Uzbekistan; nationality Uzbekistan; a.k.a. 'KARIMI, Rostam'; a.k.a. 'ABU RUSTAM'; Passport AB1234567 (Uzbekistan).",
  },
  {
    ent_num: 10002,
    name: 'NORTHWIND MARITIME TRADING CO., LTD.',
    program: 'IRAN] [SDGT',
    remarks:
      "Address 14 Harbor Road, Bandar Abbas, Iran; f.k.a. 'NORTH WIND SHIPPING'; Additional Sanctions Information - Subject to Secondary Sanctions.",
  },
  {
    ent_num: 10003,
    name: 'MÜLLER-ŁUKASZEWICZ, Jörg',
    sdn_type: 'individual',
    program: 'RUSSIA-EO14024',
    title: 'Director, "Baltic Amber" Holding',
    remarks: 'DOB circa 1962; citizen Russia; POB Kaliningrad, Russia.',
  },
  {
    ent_num: 10004,
    name: 'OCEAN PEARL',
    sdn_type: 'vessel',
    program: 'IRAN',
    call_sign: '9HXY7',
    vessel_type: 'Crude Oil Tanker',
    grt: '85,462',
    vessel_flag: 'Panama',
    vessel_owner: 'NORTHWIND MARITIME TRADING CO., LTD.',
    remarks:
      'Vessel Registration Identification IMO 9000001; Linked To: NORTHWIND MARITIME TRADING CO., LTD.',
  },
  {
    ent_num: 10005,
    name: 'HADDAD, Samir',
    sdn_type: 'individual',
    program: 'SYRIA',
    remarks:
      'DOB 01 Jan 1950 to 31 Dec 1955; nationality Syria; weak a.k.a. \'THE ENGINEER\'; a.k.a. "HADDAD, Sami".',
  },
  {
    ent_num: 10006,
    name: 'PAK, Chol Su',
    sdn_type: 'individual',
    program: 'DPRK3',
    remarks:
      "DOB 1970; alt. DOB 1971; POB Pyongyang, Korea, North; nationality Korea, North; a.k.a. 'PAK, Cholsu' (weak).",
  },
  {
    ent_num: 10007,
    name: 'GOLDEN CRESCENT EXCHANGE',
    program: 'SDNTK',
    remarks:
      "Address Calle 5 No. 10, Medellin, Colombia; a.k.a. 'CRESCENTE DORADO'; n.k.a. 'GC EXCHANGE S.A.S.'.",
  },
  {
    ent_num: 10008,
    name: 'AUNG, Min Htet',
    sdn_type: 'individual',
    program: 'BURMA-EO14014',
    remarks: 'DOB Jun 1975; nationality Burma.',
  },
  {
    ent_num: 10009,
    name: 'ÇELİK, Ayşe Gül',
    sdn_type: 'individual',
    program: 'SDGT',
    remarks: "DOB 29 Feb 1984; citizen Turkey; a.k.a. 'CELIK, Ayse'.",
  },
];

/** The made-up list as one SDN.CSV file. */
export const SDN_FIXTURE_CSV = sdnCsv(SDN_FIXTURE_ROWS);
