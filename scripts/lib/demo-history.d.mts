/** Twelve monthly demo snapshots back-cast from today's report (source "demo"), oldest first. */
export declare function demoHistory(
  report: unknown,
  opts: { formulas: unknown; months?: number },
): Array<Record<string, unknown> & { period: string; takenAt: number }>;
/** Write the demo history into the local stack's Firestore, keeping months the monthly job wrote. */
export declare function writeDemoHistory(opts: {
  projectId: string;
  firestoreHost: string | null;
  report: unknown;
  log?: (line: string) => void;
}): Promise<{ written: number; kept: number }>;
