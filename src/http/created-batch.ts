import type { FastifyRequest } from 'fastify';

/**
 * The batch a request created, recorded by the CreateBatch handler for the hooks that run after
 * it (a `Prefer` fault for the new batch is bound to it as the response is sent), so no hook has to
 * read the id back out of the serialised response.
 */
declare module 'fastify' {
  interface FastifyRequest {
    createdBatchId?: number;
  }
}

export function recordCreatedBatch(request: FastifyRequest, batchId: number): void {
  request.createdBatchId = batchId;
}

export const createdBatchOf = (request: FastifyRequest): number | null => request.createdBatchId ?? null;
