export { defaultZipLimits, zipLimitSettings, COMPRESSION_RATIO_EXEMPT_BYTES, type ZipLimits } from './limits.js';
export { receiveUpload, type ReceiveUploadOptions } from './receive-upload.js';
export { inspectZip, type PackageEntry } from './inspect-zip.js';
export { readEntries } from './read-entries.js';
export { writeZip, type WriteZipOptions } from './write-zip.js';
export {
  packageInvalidReasons,
  packageTooLargeReasons,
  type PackageInvalidReason,
  type PackageTooLargeReason,
  type PackageRejectionReason,
} from './rejections.js';
