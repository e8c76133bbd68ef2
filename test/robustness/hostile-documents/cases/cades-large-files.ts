import { randomBytes } from 'node:crypto';
import type { HostileCase } from '../case.js';

const MiB = 1024 * 1024;
/** Incompressible content (the ZIP intake refuses highly compressible large files). */
const blob = (mib: number): Buffer => randomBytes(mib * MiB);

const hostileCase: HostileCase = {
  id: 'cades-large-files',
  why:
    'Finding 4: two large files within the default limits sealed CAdES enveloping (.p7m). Each copy of the content the ' +
    'signer holds costs its size again: two 250 MiB files took the server to 3.6 GB. Sealed from a file as a stream, they cost a read buffer.',
  processId: 7,
  files: () => [
    { name: 'large-1.bin', bytes: blob(4) },
    { name: 'large-2.bin', bytes: blob(4) },
  ],
  longFiles: () => [
    { name: 'large-1.bin', bytes: blob(250) },
    { name: 'large-2.bin', bytes: blob(250) },
  ],
  expect: 'any',
};
export default hostileCase;
