/**
 * What the policy what-if reads (credit files, page by page or the largest exposures) and the
 * job's document `simulations/{simulationId}`: the policies it compares (as JSON: policy curves
 * are nested arrays, which Firestore does not store), its progress, its cursor and its tally.
 *
 * Pages without cursors (the in-process Firestore has none): customers in `createdAt` order, a
 * page starting `>=` the last time taken and skipping the ids already taken at that time.
 */
import { AggregateField, Timestamp, type DocumentData, type QueryDocumentSnapshot } from "firebase-admin/firestore";
import type { CustomerFile } from "../domain/customer.js";
import type { FinancialStatement } from "../domain/financials.js";
import { customerFromSnapshots, customerRefs, plain } from "./customers.js";
import { fromStored, toStored } from "./convert.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS, paths } from "./paths.js";

export interface PageCursor {
  /** createdAt (ms) of the last customer taken; null before the first page. */
  afterMs: number | null;
  /** Ids taken at exactly that time. */
  seenAtAfter: string[];
}

export const FIRST_PAGE: PageCursor = { afterMs: null, seenAtAfter: [] };

const createdAtOf = (d: QueryDocumentSnapshot): number | null => {
  const v = d.get("createdAt");
  return v instanceof Timestamp ? v.toMillis() : null;
};

/** The next page of customer heads in createdAt order, and the cursor after it. */
export async function customerPage(
  cursor: PageCursor,
  size: number,
): Promise<{ docs: QueryDocumentSnapshot[]; next: PageCursor; done: boolean }> {
  const col = firestore().collection(COLLECTIONS.customers);
  const seen = new Set(cursor.seenAtAfter);
  const from = Timestamp.fromMillis(cursor.afterMs ?? 0);
  // At most seen.size documents of the page are ones already taken: ask for that many more.
  const limit = size + seen.size;
  const page = await col.where("createdAt", ">=", from).orderBy("createdAt").limit(limit).get();
  const unseen = page.docs.filter(
    (d) => !(cursor.afterMs !== null && createdAtOf(d) === cursor.afterMs && seen.has(d.id)),
  );
  const fresh = unseen.slice(0, size);
  // The query's last page, and every customer on it taken.
  const done = page.size < limit && fresh.length === unseen.length;
  if (fresh.length === 0) return { docs: [], next: cursor, done: true };
  const last = createdAtOf(fresh[fresh.length - 1]!);
  const atLast = fresh.filter((d) => createdAtOf(d) === last).map((d) => d.id);
  const next: PageCursor = {
    afterMs: last,
    seenAtAfter: last === cursor.afterMs ? [...cursor.seenAtAfter, ...atLast] : atLast,
  };
  return { docs: fresh, next, done };
}

/** Every customer head, when there are at most `max` (else null: too many to take at once). */
export async function allCustomerHeads(max: number): Promise<QueryDocumentSnapshot[] | null> {
  const snap = await firestore()
    .collection(COLLECTIONS.customers)
    .limit(max + 1)
    .get();
  return snap.size > max ? null : snap.docs;
}

export async function countCustomers(): Promise<number> {
  return (await firestore().collection(COLLECTIONS.customers).count().get()).data().count;
}

/** The `n` largest exposures of each currency (the caller ranks them in the base currency). */
export async function largestExposures(currencies: readonly string[], n: number): Promise<QueryDocumentSnapshot[]> {
  const col = firestore().collection(COLLECTIONS.customers);
  const pages = await Promise.all(
    currencies.map((c) => col.where("currency", "==", c).orderBy("exposure", "desc").limit(n).get()),
  );
  return pages.flatMap((p) => p.docs);
}

/** The portfolio's exposure per currency (aggregation sums, in each currency's minor units). */
export async function exposureByCurrency(currencies: readonly string[]): Promise<Record<string, number>> {
  const col = firestore().collection(COLLECTIONS.customers);
  const sums = await Promise.all(
    currencies.map(async (c) =>
      Number(
        (
          await col
            .where("currency", "==", c)
            .aggregate({ e: AggregateField.sum("exposure") })
            .get()
        ).data().e ?? 0,
      ),
    ),
  );
  return Object.fromEntries(currencies.map((c, i) => [c, sums[i]!]));
}

/** A credit file to evaluate: both documents, and its latest statement. */
export interface FileToEvaluate {
  customerId: string;
  file: CustomerFile;
  statement: FinancialStatement | null;
}

/**
 * The credit files of these heads: their credit states in one round trip (and, for files from
 * before the statement rode in the credit state, the financials document). Heads whose file
 * does not read are returned in `unreadable`.
 */
export async function filesOf(
  heads: readonly QueryDocumentSnapshot[],
): Promise<{ files: FileToEvaluate[]; unreadable: string[] }> {
  if (heads.length === 0) return { files: [], unreadable: [] };
  const states = await firestore().getAll(...heads.map((h) => customerRefs.creditState(h.id)));
  const files: FileToEvaluate[] = [];
  const unreadable: string[] = [];
  const legacy: FileToEvaluate[] = [];
  heads.forEach((h, i) => {
    try {
      const file = customerFromSnapshots(h, states[i]!);
      if (!file) return void unreadable.push(h.id);
      const entry = { customerId: h.id, file, statement: file.latestStatement ?? null };
      files.push(entry);
      if (file.latestStatement === undefined) legacy.push(entry);
    } catch {
      unreadable.push(h.id);
    }
  });
  if (legacy.length > 0) {
    const fins = await firestore().getAll(...legacy.map((e) => customerRefs.financials(e.customerId)));
    legacy.forEach((e, i) => (e.statement = plain<{ latest: FinancialStatement | null }>(fins[i]!)?.latest ?? null));
  }
  return { files, unreadable };
}

// ---------------------------------------------------------------------------------------
// simulations/{simulationId}

export type SimulationStatus = "queued" | "running" | "done" | "failed";

export interface SimulationDoc {
  status: SimulationStatus;
  requestedBy: string;
  requestedByRole: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  /** When the what-if is taken (the same moment for every part). */
  asOf: number;
  /** The policy in force and the candidate, resolved, as JSON; the FX table at the start, as JSON. */
  currentPolicyJson: string;
  candidatePolicyJson: string;
  fxJson: string;
  changes: string[];
  /** The part the next task runs (a task for another part is stale and does nothing). */
  part: number;
  cursor: PageCursor;
  total: number;
  evaluated: number;
  /** evaluated ÷ total, 0–1 (a portfolio that grew meanwhile may pass 1: capped). */
  progress: number;
  /** The running tally (domain/simulation.ts Tally). */
  tally: Record<string, unknown>;
  /** The answer, once done (schemas/reports.ts whatIfResultSchema). */
  result: Record<string, unknown> | null;
}

export const simulationRefs = {
  simulation: (id: string) => firestore().doc(paths.simulation(id)),
  newSimulation: () => firestore().collection(COLLECTIONS.simulations).doc(),
};

export function simulationToStored(s: Partial<SimulationDoc>): DocumentData {
  return toStored(s) as DocumentData;
}

export function simulationFromStored(data: DocumentData | undefined): SimulationDoc | null {
  return data ? fromStored<SimulationDoc>(data) : null;
}
