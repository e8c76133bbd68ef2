/**
 * The one description of `<name>.validation.json` for the OpenAPI document (the README's
 * "Validation reports" section says the same at length, with an example).
 */
export const VALIDATION_REPORT_DOC = [
  '**Validate process (4):** the package holds each file and `<name>.validation.json`. Per signature (`signatures[]`; every signature of every PDF revision) it gives the ETSI EN 319 102-1 `indication` (`TOTAL-PASSED`, `INDETERMINATE`, `TOTAL-FAILED`) and `subIndication` (`FORMAT_FAILURE`, `HASH_FAILURE`, `SIG_CRYPTO_FAILURE`, `REVOKED`, `NOT_YET_VALID`, `NO_SIGNING_CERTIFICATE_FOUND`, `NO_CERTIFICATE_CHAIN_FOUND`, `REVOKED_NO_POE`, `OUT_OF_BOUNDS_NO_POE`, `TRY_LATER`, `SIGNED_DATA_NOT_FOUND`, `CHAIN_CONSTRAINTS_FAILURE`, `SIG_CONSTRAINTS_FAILURE`), `signatureFormat`, `level` (`B-B`, `B-T`, `B-LT`, `B-LTA`), `signer`, `signingTime` (claimed), `bestSignatureTime`, `timeStamps[]` (type, time, TSA, their own indication), `revocation` and, for PDFs, `revision` (`number`, `byteRange`, `coversWholeFile`). PDFs also list `documentTimeStamps[]`.',
  '',
  "The file-level `indication`/`subIndication` is TOTAL-PASSED when every signature is, else the worst signature's. The earlier fields stay, derived from it: `valid` (indication is TOTAL-PASSED), `format`, `signer` and `signingTime` (first signature), `timestamp` (`present`, `valid`: every signature has a passing time-stamp, `time`), `reasons` (every problem, prefixed `signature #n:` when there are several). `signingResult_Success` is `valid`.",
].join('\n');
