import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { documentOrder } from '../contract/json-schema.js';
import { simulatorOperation } from '../contract/simulator-operations.js';
import { DomainError } from '../domain/errors.js';
import { Type } from '../domain/json-schema.js';
import { PROCESS_DEF_SCHEMA } from '../domain/process.js';
import type { ProcessCatalog } from '../domain/processes.js';
import { problem, TAGS, unexpectedProblem, simulatorGroup } from './schemas.js';

export interface SimulatorRoutesOptions {
  processes: ProcessCatalog;
  /** Throws when the store or the data directory cannot be written. */
  checkWritable: () => void;
  version: string;
}

/** What the simulator adds beyond the vendor's API, under /_simulator/ (no API key needed). */
export async function simulatorRoutes(plugin: FastifyInstance, opts: SimulatorRoutesOptions): Promise<void> {
  // Replies are typed from the route schemas (TypeBox).
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/health',
    {
      schema: {
        ...simulatorGroup(TAGS.simulator),
        ...simulatorOperation('simulatorHealth'),
        response: {
          200: HEALTH,
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
      return { status: 'ok' as const, version: opts.version };
    },
  );

  app.get(
    '/processes',
    { schema: { ...simulatorGroup(TAGS.simulator), ...simulatorOperation('simulatorProcesses'), response: { 200: PROCESS_LIST, 500: unexpectedProblem() } } },
    async () => ({ processes: opts.processes.all() }),
  );
}

const HEALTH = documentOrder(
  Type.Object(
    {
      status: Type.Unsafe<'ok'>({ type: 'string', enum: ['ok'] }),
      version: Type.Optional(Type.String({ description: "The simulator's version" })),
    },
    { description: 'The simulator is ready', examples: [{ status: 'ok', version: '0.1.0' }] },
  ),
  ['type', 'description', 'required', 'properties', 'examples'],
);

/** A process in the list: its one schema (src/domain/process.ts), keys in the document's order. */
const PROCESS_LIST = documentOrder(
  Type.Object(
    { processes: Type.Array(documentOrder(PROCESS_DEF_SCHEMA)) },
    {
      description: 'Every process, by id',
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
  ),
  ['type', 'description', 'required', 'properties', 'examples'],
);
