/** A PDF date string (`D:YYYYMMDDHHmmSSOHH'mm'`, ISO 32000 7.9.4) as a Date; undefined when unreadable. */
export function parsePdfDate(s: string): Date | undefined {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(s);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', tz] = m;
  let iso = `${y}-${mo}-${d}T${h}:${mi}:${se}`;
  if (!tz || tz === 'Z') iso += 'Z';
  else iso += `${tz.slice(0, 3)}:${tz.replace(/'/g, '').slice(3, 5)}`;
  const dt = new Date(iso);
  return Number.isNaN(dt.getTime()) ? undefined : dt;
}
