/**
 * Sanctions lists (OFAC SDN) and customers' sanctions screening.
 *
 * - {@link parseSdnCsv}: OFAC's SDN.CSV (12 columns, `-0- ` for empty, optional header) into entries
 *   with aliases, dates of birth and ISO countries read from their Remarks; a bad file is refused
 *   with the lines to blame ({@link SdnCsvError}).
 * - {@link normalizeName}, {@link jaroWinkler}: the name form and similarity matching uses.
 * - {@link buildSanctionsIndex}, {@link matchParty}: one list precomputed for matching, and one party
 *   screened against it (potential: Jaro-Winkler at or above the potential threshold, or an exact
 *   alias; confirmed: at or above the confirmed threshold with the entry's country or date of birth
 *   agreeing). Cheap bounds rule out most names before any similarity is computed.
 * - {@link createSanctionsListService}: `load` stores an uploaded list as the next version with its
 *   entries and queues the rescreening of every customer, in one transaction;
 *   {@link latestListVersion} is the newest version.
 * - {@link createSanctionsScreener}: {@link SanctionsScreener} screens customers against the latest
 *   list (decrypting their names in memory only) and records each status with the version it was
 *   computed against; `rescreenAll` brings every customer up to a new list.
 */
export {
  parseSdnCsv,
  SDN_CSV_COLUMNS,
  SDN_CSV_LIMITS,
  SDN_TYPES,
  type SdnCsvError,
  type SdnCsvParseResult,
  type SdnEntry,
  type SdnType,
} from './csv/sdn-csv';
export { parseSdnRemarks, parseDateOfBirth, type SdnRemarks } from './csv/sdn-remarks';
export { countryCodeOf, countryCodeOfPlace } from './countries/country-codes';
export { normalizeName, sortedTokens, type NormalizeNameOptions } from './matching/normalize-name';
export { jaroWinkler, commonCharactersMin, commonPrefixLength } from './matching/jaro-winkler';
export { dateOfBirthMatches, ENTRY_DATE_OF_BIRTH_PATTERN } from './matching/date-of-birth';
export {
  buildSanctionsIndex,
  matchParty,
  lengthRatioMin,
  type IndexableEntry,
  type MatchThresholds,
  type PartyMatch,
  type LengthBucket,
  type SanctionsIndex,
  type SanctionsStatus,
  type ScreenedParty,
} from './matching/sanctions-index';
export {
  createSanctionsListService,
  latestListVersion,
  SANCTIONS_LIST_LOAD_ERRORS,
  type LoadedSanctionsList,
  type LoadSanctionsListInput,
  type SanctionsListLoadError,
  type SanctionsListLoadResult,
  type SanctionsListService,
  type SanctionsListServiceDependencies,
} from './list/sanctions-list.service';
export {
  createSanctionsScreener,
  UnknownListVersionError,
  SCREENER_PAGE_SIZE_LIMITS,
  type CustomerSanctionsScreening,
  type SanctionsScreener,
  type SanctionsScreenerDependencies,
} from './screening/sanctions-screener';
