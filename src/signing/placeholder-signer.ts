import { acceptsFile } from '../domain/processes.js';
import {
  failedOutcome,
  type FileOutcome,
  type InputFile,
  type SignContext,
  type Signer,
  type StoredContext,
  type StoredFile,
  type StoredOutcome,
} from './signer.js';

/**
 * NOT A SIGNATURE. Copies every file the process accepts into the result unchanged and reports it
 * as signed; files the process does not accept fail. It exists so the lifecycle can be exercised
 * without the cost of real seals (SEAL_SIM_SIGNER=placeholder); the default signer seals for real.
 * It never parses a document, so it needs no time or memory budget.
 */
export class PlaceholderSigner implements Signer {
  readonly kind = 'placeholder (files copied unchanged, NOT signed)';

  async processFile(file: InputFile, ctx: SignContext): Promise<FileOutcome> {
    return this.decide(file, ctx);
  }

  async processStored(file: StoredFile, ctx: StoredContext): Promise<StoredOutcome> {
    return this.decide(file, ctx);
  }

  private decide<F extends { name: string }>(file: F, ctx: { process: SignContext['process'] }): FileOutcome<F> {
    if (!acceptsFile(ctx.process, file.name)) {
      return failedOutcome(file.name, `process ${ctx.process.id} accepts ${ctx.process.acceptedFileTypes.join(', ')} files only`);
    }
    return { fileName: file.name, signed: true, success: true, detail: 'copied unchanged (placeholder signer)', outputs: [file] };
  }
}
