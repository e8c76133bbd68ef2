import type { FastifyInstance } from 'fastify';

/**
 * `Content-Type: application/json` with an empty body is "no body", as ASP.NET Core's binder
 * treats an optional body: generated clients (and many hand-written ones) send the JSON type on
 * every POST, body or not, and the control API's reset and advance take none. Fastify would refuse
 * the empty body (FST_ERR_CTP_EMPTY_JSON_BODY); anything non-empty still goes through Fastify's
 * own parser (prototype-poisoning checks included). A route whose schema requires a body still
 * refuses the missing one, with its own message.
 */
export function allowEmptyJsonBody(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    parse(request, body as string, done);
  });
}
