import type { FastifyInstance } from 'fastify';
import type { ProcessCatalog } from '../domain/processes.js';
import { DomainError } from '../domain/errors.js';
import { problem } from './schemas.js';

export interface SimulatorRoutesOptions {
  processes: ProcessCatalog;
  /** Throws when the store or the data directory cannot be written. */
  checkWritable: () => void;
  version: string;
}

/** What the simulator adds beyond the vendor's API, under /_simulator/ (no API key needed). */
export async function simulatorRoutes(app: FastifyInstance, opts: SimulatorRoutesOptions): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['status'],
            properties: { status: { type: 'string', enum: ['ok'] }, version: { type: 'string' } },
          },
          503: problem('The database or the data directory cannot be written'),
        },
      },
    },
    async () => {
      try {
        opts.checkWritable();
      } catch (e) {
        throw new DomainError('unavailable', `The store is not writable: ${(e as Error).message}`);
      }
      return { status: 'ok', version: opts.version };
    },
  );

  app.get(
    '/processes',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['processes'],
            properties: {
              processes: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'name', 'operation', 'acceptedFileTypes', 'providerSettingsId', 'tsaId'],
                  properties: {
                    id: { type: 'integer' },
                    name: { type: 'string' },
                    operation: { type: 'string', enum: ['seal', 'validate'] },
                    format: { type: 'string', enum: ['PAdES', 'CAdES', 'XAdES'] },
                    level: { type: 'string', enum: ['B-B', 'B-T'] },
                    packaging: { type: 'string', enum: ['enveloped', 'detached', 'enveloping'] },
                    acceptedFileTypes: { type: 'array', items: { type: 'string' } },
                    providerSettingsId: { type: 'string' },
                    tsaId: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => ({ processes: opts.processes.all() }),
  );
}
