/**
 * Limits applied to an uploaded package. Every field is a setting (see `zipLimitSettings` for the
 * environment variable that sets it); the defaults are the simulator's reading of a package the
 * vendor would plausibly accept. NOTE: the vendor documents none of these (docs/vendor-contract.md#packages), so the
 * simulator chooses the stricter reading and makes each one a setting.
 */
export interface ZipLimits {
  /** Raw request body size, in bytes (default 512 MiB). */
  maxUploadBytes: number;
  /** Files in the package (default 1000). */
  maxEntries: number;
  /** One inflated file, in bytes (default 256 MiB). */
  maxEntryBytes: number;
  /** All inflated files together, in bytes (default 2 GiB). */
  maxTotalBytes: number;
  /** Inflated / compressed size of one entry (default 200); entries under 1 MiB inflated are exempt. */
  maxCompressionRatio: number;
  /** Bytes of an entry's UTF-8 file name (default 255, the usual file-system limit). */
  maxNameLength: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const defaultZipLimits: ZipLimits = Object.freeze({
  maxUploadBytes: 512 * MiB,
  maxEntries: 1000,
  maxEntryBytes: 256 * MiB,
  maxTotalBytes: 2 * GiB,
  maxCompressionRatio: 200,
  maxNameLength: 255,
});

/**
 * Entries that inflate to less than this are exempt from `maxCompressionRatio`: a small text or XML
 * file legitimately compresses far better than 200:1 and cannot hurt anyone at that size.
 */
export const COMPRESSION_RATIO_EXEMPT_BYTES = 1 * MiB;

/**
 * The setting that controls each limit, named in error details so an integrator (or operator)
 * knows which knob to turn. `src/config.ts` reads these same names.
 */
export const zipLimitSettings = Object.freeze({
  maxUploadBytes: 'SEAL_SIM_MAX_UPLOAD_BYTES',
  maxEntries: 'SEAL_SIM_MAX_ENTRIES',
  maxEntryBytes: 'SEAL_SIM_MAX_ENTRY_BYTES',
  maxTotalBytes: 'SEAL_SIM_MAX_TOTAL_BYTES',
  maxCompressionRatio: 'SEAL_SIM_MAX_COMPRESSION_RATIO',
  maxNameLength: 'SEAL_SIM_MAX_NAME_LENGTH',
} as const satisfies Record<keyof ZipLimits, string>);

/** "536870912 bytes (512 MiB)" — exact for machines, readable for people. */
export function describeBytes(n: number): string {
  if (n >= GiB && n % GiB === 0) return `${n} bytes (${n / GiB} GiB)`;
  if (n >= MiB && n % MiB === 0) return `${n} bytes (${n / MiB} MiB)`;
  if (n >= MiB) return `${n} bytes (${(n / MiB).toFixed(1)} MiB)`;
  return `${n} bytes`;
}
