import type { FastifyInstance } from 'fastify';
import type { ProcessCatalog } from '../domain/processes.js';
import { PROCESS_DEF_SCHEMA } from '../domain/process.js';
import { documentOrder } from '../contract/json-schema.js';
import { DomainError } from '../domain/errors.js';
import { NO_SECURITY, problem, TAGS, unexpectedProblem } from './schemas.js';

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
        tags: [TAGS.simulator],
        security: NO_SECURITY,
        operationId: 'simulatorHealth',
        summary: 'Is the simulator up and able to store batches?',
        description:
          'Simulator only (the vendor has no such endpoint); no API key needed. 200 while the database and the data directory can be written, 503 otherwise: a readiness probe for Docker and CI.',
        response: {
          200: {
            type: 'object',
            description: 'The simulator is ready',
            required: ['status'],
            properties: { status: { type: 'string', enum: ['ok'] }, version: { type: 'string', description: "The simulator's version" } },
            examples: [{ status: 'ok', version: '0.1.0' }],
          },
          500: unexpectedProblem(),
          503: problem('The database or the data directory cannot be written', 'unavailable'),
        },
      },
      // The readiness probe is polled from the moment the port opens; it answers without waiting
      // for the schema compilers, which load on first use (src/http/schema-compilers.ts). Its
      // bodies are the two fixed shapes above, which plain JSON.stringify writes the same.
      serializerCompiler: () => (data: unknown) => JSON.stringify(data),
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
        tags: [TAGS.simulator],
        security: NO_SECURITY,
        operationId: 'simulatorProcesses',
        summary: 'The processes CreateBatch accepts',
        description:
          'Simulator only; no API key needed. Lists the processes this simulator knows, i.e. the `processId`s `POST /api/CreateBatch/{processId}` accepts, with what each does to a file. The real service configures its processes server-side and publishes no such list (see docs/vendor-contract.md#processes); point SEAL_SIM_PROCESSES at your own file to mirror your real process ids.',
        response: {
          200: {
            type: 'object',
            description: 'Every process, by id',
            required: ['processes'],
            properties: {
              processes: {
                type: 'array',
                items: PROCESS_ITEM,
              },
            },
            examples: [
              {
                processes: [
                  {
                    id: 1,
                    name: 'Seal PDFs, PAdES-B-T',
                    operation: 'seal',
                    format: 'PAdES',
                    level: 'B-T',
                    packaging: 'enveloped',
                    acceptedFileTypes: ['.pdf'],
                    providerSettingsId: '1',
                    tsaId: '1',
                  },
                ],
              },
            ],
          },
          500: unexpectedProblem(),
        },
      },
    },
    async () => ({ processes: opts.processes.all() }),
  );
}

/** A process in the list: its one schema (src/domain/process.ts), keys in the document's order. */
const PROCESS_ITEM = documentOrder(PROCESS_DEF_SCHEMA);
