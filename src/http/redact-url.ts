/**
 * Credentials never reach a log line or the journal (which tenants can read). A URL's query may
 * carry one — the board's `?token=`, or a client that puts its key in the query — so every URL
 * that is logged or journaled passes through here first.
 */
export const REDACTED_VALUE = '[redacted]';

/** Query parameter names (lower-cased, `-` and `_` ignored) whose values are credentials. */
const SECRET_PARAMS = new Set([
  'token',
  'accesstoken',
  'admintoken',
  'xadmintoken',
  'apikey',
  'key',
  'secret',
  'clientsecret',
  'password',
  'passwd',
  'pwd',
  'auth',
  'authorization',
  'signature',
  'sig',
]);

const normalise = (name: string): string => {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    // a malformed escape: judge the raw name
  }
  return decoded.toLowerCase().replace(/[-_\s]/g, '');
};

/** Whether a query parameter's value is a credential. */
export const isSecretParam = (name: string): boolean => SECRET_PARAMS.has(normalise(name));

/** The URL (path and query, as Fastify's request.url) with every credential value replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  let changed = false;
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (eq < 0 || !isSecretParam(name)) return part;
    changed = true;
    return `${name}=${REDACTED_VALUE}`;
  });
  if (!changed) return url;
  return `${url.slice(0, q + 1)}${parts.join('&')}${hash < 0 ? '' : url.slice(hash)}`;
}

/** Free text (an error message) that may quote a URL: credential query values replaced. */
export function redactText(text: string): string {
  // One pass over the text, no nested quantifiers: linear in its length.
  return text.replace(/([?&])([^=&?\s"'#]{1,64})=([^&\s"'#]*)/g, (all, sep: string, name: string) =>
    isSecretParam(name) ? `${sep}${name}=${REDACTED_VALUE}` : all,
  );
}
