import Type, { type Static } from 'typebox';

/** The answer to a list upload; 201 for a new version, 200 when it was the current list's content. */
export const SanctionsListSchema = Type.Object(
  {
    list_version: Type.Integer({ minimum: 1, description: 'The loaded list version (1, 2, 3, ...).' }),
    entries_loaded: Type.Integer({ minimum: 1, description: 'Entries in that version.' }),
  },
  { description: 'A loaded sanctions list. Every customer is rescreened against a new version.' },
);
export type SanctionsListBody = Static<typeof SanctionsListSchema>;

/** The request body: OFAC's SDN.CSV as published (12 columns, no header row; a header is accepted). */
export const SanctionsListUploadSchema = Type.String({
  description:
    'OFAC SDN.CSV: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks; `-0- ` for empty values.',
});
