import type { Aspect } from './judge.js';
import type { Observations } from './observations.js';

/** The kit's report: JSON for tools, Markdown for people. Both say the same things. */
export interface KitReport {
  target: string;
  processId: number;
  profile: string;
  startedAt: string;
  plan: string[];
  requests: number;
  verdict: 'matches' | 'differs';
  differences: Aspect[];
  known: Aspect[];
  aspects: Aspect[];
  observations: Observations;
}

export function makeReport(r: Omit<KitReport, 'verdict' | 'differences' | 'known'>): KitReport {
  const differences = r.aspects.filter((a) => !a.matches && !a.known);
  const known = r.aspects.filter((a) => !a.matches && a.known);
  return { ...r, verdict: differences.length === 0 ? 'matches' : 'differs', differences, known };
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function reportMarkdown(r: KitReport): string {
  const rows = (list: Aspect[]) =>
    list.map((a) => `| ${cell(a.name)} | ${cell(a.expected)} | ${cell(a.observed)} | ${a.switch ? `\`${a.switch}\`` : 'none: cannot take on'} |`);
  const o = r.observations;
  return [
    `# SEAL conformance report: ${r.target}`,
    '',
    `Process ${r.processId}, judged against the vendor profile **${r.profile}**, started ${r.startedAt}, ${r.requests} requests.`,
    '',
    `**Verdict: ${r.verdict === 'matches' ? "the target matches the simulator's model" : `${r.differences.length} difference(s) from the simulator's model`}.**`,
    '',
    '## What the run did',
    '',
    ...r.plan.map((l) => `- ${l}`),
    '',
    ...(r.differences.length
      ? ['## Differences', '', '| aspect | the simulator | the target | profile switch |', '|---|---|---|---|', ...rows(r.differences), '']
      : []),
    ...(r.known.length
      ? [
          '## Known differences (listed in the profile)',
          '',
          '| aspect | the simulator | the target | profile switch |',
          '|---|---|---|---|',
          ...rows(r.known),
          '',
        ]
      : []),
    '## Observations',
    '',
    `- status table: ${o.statusTable ?? 'not told'} (${o.statusTableEvidence})`,
    `- status names seen while polling: ${o.statusNames.join(' → ') || 'none'}`,
    `- phase durations (ms, poll resolution ${o.pollResolutionMs} ms): ${Object.entries(o.phases)
      .map(([p, ms]) => `${p} ${ms ?? 'not seen'}`)
      .join(', ')}`,
    `- dates: ${o.dates.sample ?? 'not seen'} → ${o.dates.format}, UTC offset ${o.dates.utcOffsetMinutes ?? 'unknown'} min`,
    `- error body: ${o.errorBody ? `${o.errorBody.shape} (${o.errorBody.contentType ?? 'no content type'})` : 'not seen'}`,
    `- 401 challenge: ${o.challenge ?? 'no WWW-Authenticate header'}`,
    `- AcceptBatch took the batch id ${o.acceptForm === 'path' ? 'in the path' : o.acceptForm === 'query' ? 'in the query' : o.acceptForm === 'json' ? 'in a JSON body' : '(not seen)'}`,
    `- download: ${o.download ? `${o.download.contentType ?? 'no content type'}; entries ${o.download.entries?.join(', ') ?? 'not a ZIP'}` : 'not seen'}`,
    `- after delete: BatchDeleteCache answered ${o.afterDelete.deleteAnswer ?? 'not seen'}, BatchStatus answered ${o.afterDelete.statusAnswer ?? 'not seen'}`,
    '',
    '## Every aspect',
    '',
    '| aspect | the simulator | the target | same |',
    '|---|---|---|---|',
    ...r.aspects.map((a) => `| ${cell(a.name)} | ${cell(a.expected)} | ${cell(a.observed)} | ${a.matches ? 'yes' : a.known ? 'known' : '**no**'} |`),
    '',
  ].join('\n');
}
