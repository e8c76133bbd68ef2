import type { FileHandle } from 'node:fs/promises';

/** Size of one cached block: a package's small records are read a block at a time. */
const BLOCK_BYTES = 64 * 1024;
/** Blocks kept: the central directory (at the end) and the local headers and data (from the start). */
const BLOCKS_KEPT = 4;

/**
 * Reads a package file in aligned 64 KiB blocks and keeps the last few. A ZIP is read as many small
 * records — two reads per central-directory record, one per local header, the data of each small
 * file — and each read of the file handle is a round trip through the thread pool and a system
 * call; served from a block, a package of a hundred small files costs a handful of reads instead of
 * several hundred. Reads larger than a block go to the file directly.
 *
 * The buffers returned may be views of a cached block: callers copy what they keep.
 */
export class BlockReader {
  private readonly blocks = new Map<number, Buffer>();

  constructor(private readonly handle: FileHandle) {}

  /** `length` bytes from `position`; fewer only where the file ends. */
  async read(position: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const first = Math.floor(position / BLOCK_BYTES);
    const last = Math.floor((position + length - 1) / BLOCK_BYTES);
    if (length > BLOCK_BYTES || last > first + 1) return this.direct(position, length);
    const offset = position - first * BLOCK_BYTES;
    const head = await this.block(first);
    if (first === last) return head.subarray(offset, offset + length);
    if (head.length < BLOCK_BYTES) return head.subarray(offset); // the file ends in the first block
    const tail = await this.block(last);
    return Buffer.concat([head.subarray(offset), tail.subarray(0, length - (BLOCK_BYTES - offset))]);
  }

  private async block(index: number): Promise<Buffer> {
    const cached = this.blocks.get(index);
    if (cached) {
      // Most recently used last, so the oldest is the first in the map's order.
      this.blocks.delete(index);
      this.blocks.set(index, cached);
      return cached;
    }
    const bytes = await this.direct(index * BLOCK_BYTES, BLOCK_BYTES);
    this.blocks.set(index, bytes);
    if (this.blocks.size > BLOCKS_KEPT) this.blocks.delete(this.blocks.keys().next().value!);
    return bytes;
  }

  private async direct(position: number, length: number): Promise<Buffer> {
    const { bytesRead, buffer } = await this.handle.read(Buffer.allocUnsafe(length), 0, length, position);
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
  }
}
