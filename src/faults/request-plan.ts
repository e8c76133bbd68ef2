import type { FaultRegistry, FiredFault } from './fault-registry.js';
import { type FaultKind, type FaultSpec, type FiredParamsOf, isHttpKind, type KindActing, KINDS, kindsActing } from './kinds.js';
import { decodePrefer } from './prefer.js';
import { VENDOR_ROUTES, type VendorRoute } from './vendor-routes.js';

/**
 * The fault plan of one vendor request: which faults fire on it and what each asks for, decided
 * before the request is handled. No HTTP and no clock here: the planner reads the request's facts
 * and draws from the registry (which counts faults down on their own seeded streams), and
 * src/http/steering.ts applies the plan.
 *
 * Order of the draws, which is the order of the effects: a `Prefer` fault (fired at once when it
 * is an HTTP kind; bound to this request's batch when it is a domain kind), then one `delay`
 * fault, then at most one `answer` fault (which ends the request: no `body` fault is drawn), then
 * each `body` kind that applies to this route. Each stage asks for the kinds the table
 * (./kinds.ts) says act there.
 */

export interface RequestFacts {
  route: VendorRoute;
  /** The request's tenant ('' before auth named one). */
  tenant: string;
  /** The batch the path names; faults with a batchId match on it. */
  batchId: number | null;
  /** The request's Prefer header(s). */
  prefer: string | readonly string[] | undefined;
  /**
   * AcceptBatch's batch id from its query or body (null when absent or unclear): asked only when a
   * `Prefer` domain fault must be bound to the batch and the path names none.
   */
  acceptedBatchId?: () => number | null;
}

/** The registry as the planner uses it. */
export type FaultDraws = Pick<FaultRegistry, 'take' | 'fireNow' | 'assertRoom'>;

/** A fired fault of some kinds, with what it asks for and its journal label. */
export interface Fired<K extends FaultKind> {
  params: FiredParamsOf<K>;
  label: string;
}

export interface RequestPlan {
  /** The label of every fault that fired, in order, for the journal. */
  labels: string[];
  /** Wait this long before anything else; null: no delay fault fired. */
  latencyMs: number | null;
  /** Answer this instead of handling the request; null: handle it. */
  answer: Fired<KindActing<'answer'>> | null;
  /** Faults on the response body as it is sent, in table order (none when `answer` is set). */
  body: Fired<KindActing<'body'>>[];
  /**
   * A domain fault asked for with `Prefer`, for this request's batch: register it now for the
   * batch named (and withdraw it if the call fails), or once CreateBatch has made the batch.
   */
  domain: { spec: FaultSpec; batchId: number } | { spec: FaultSpec; batchId: 'created' } | null;
}

/** Per route, the kinds each HTTP stage asks for (a kind whose routes leave this one out is not asked). */
const STAGES = new Map(
  VENDOR_ROUTES.map((route) => {
    const on = <K extends FaultKind>(kinds: K[]) => kinds.filter((k) => (KINDS[k].routes as readonly string[]).includes(route));
    return [route, { delay: on(kindsActing('delay')), answer: on(kindsActing('answer')), body: on(kindsActing('body')) }] as const;
  }),
);

const isOf = <K extends FaultKind>(f: FiredFault, kinds: readonly K[]): f is FiredFault & { params: FiredParamsOf<K> } =>
  (kinds as readonly FaultKind[]).includes(f.params.kind);

/**
 * Plans one request. Throws the refusal a bad `Prefer` fault earns (400 invalid_request) or a
 * tenant already at its fault limit (429 too_many_faults) before anything has fired.
 */
export function planRequest(facts: RequestFacts, faults: FaultDraws): RequestPlan {
  const plan: RequestPlan = { labels: [], latencyMs: null, answer: null, body: [], domain: null };
  const { route, tenant } = facts;

  let oneShot: FiredFault | null = null;
  const preferred = decodePrefer(facts.prefer, { route, tenant, batchId: facts.batchId });
  if (preferred) {
    if (isHttpKind(preferred.kind)) oneShot = faults.fireNow(preferred);
    else {
      faults.assertRoom(tenant); // refused before the call does anything
      if (route === 'CreateBatch')
        plan.domain = { spec: preferred, batchId: 'created' }; // no id yet
      else {
        const batchId = facts.batchId ?? (route === 'AcceptBatch' ? (facts.acceptedBatchId?.() ?? null) : null);
        if (batchId !== null) plan.domain = { spec: { ...preferred, tenant, batchId }, batchId };
      }
    }
  }

  const match = { tenant, route, batchId: facts.batchId ?? undefined };
  const fire = <K extends FaultKind>(kinds: readonly K[]): Fired<K> | null => {
    if (kinds.length === 0) return null;
    const fired = oneShot && isOf(oneShot, kinds) ? oneShot : faults.take({ ...match, kinds });
    if (!fired || !isOf(fired, kinds)) return null;
    plan.labels.push(fired.label);
    return { params: fired.params, label: fired.label };
  };

  const stages = STAGES.get(route)!;
  const delay = fire(stages.delay);
  if (delay) plan.latencyMs = delay.params.ms;
  plan.answer = fire(stages.answer);
  if (plan.answer) return plan;
  for (const kind of stages.body) {
    const fired = fire([kind]);
    if (fired) plan.body.push(fired);
  }
  return plan;
}
