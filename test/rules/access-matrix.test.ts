/**
 * Runs every row of the access matrix through the in-process rules evaluator, then checks
 * that every `allow` statement of firestore.rules is exercised by at least one allowed case
 * and at least one denied case.
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { RulesEngine, type Decision } from "../support/rules-engine/index.js";
import { ACCESS_MATRIX, ROLES, type MatrixRow } from "./access-matrix.js";
import { databaseFor, requestFor, rowName } from "./matrix-support.js";

const RULES_PATH = resolve(__dirname, "../../firestore.rules");
const engine = RulesEngine.fromFile(RULES_PATH);

function decide(r: MatrixRow): Decision {
  return engine.evaluate(requestFor(r), databaseFor(r));
}

describe("access matrix (in-process rules evaluator)", () => {
  it.each(ACCESS_MATRIX.map((r) => [rowName(r), r] as const))("%s", (_name, r) => {
    const d = decide(r);
    expect(d.allowed ? "allow" : "deny", d.explain).toBe(r.expect);
  });
});

describe("access matrix coverage", () => {
  it("has both outcomes for every role and no duplicate rows", () => {
    for (const role of ROLES) {
      const rows = ACCESS_MATRIX.filter((r) => r.role === role);
      expect(
        rows.some((r) => r.expect === "deny"),
        `${role} has a denied case`,
      ).toBe(true);
      if (role !== "signed-out" && role !== "integration") {
        expect(
          rows.some((r) => r.expect === "allow"),
          `${role} has an allowed case`,
        ).toBe(true);
      }
    }
    const names = ACCESS_MATRIX.map(rowName);
    const dupes = names.filter((n, i) => names.indexOf(n) !== i);
    expect(dupes).toEqual([]);
  });

  it("exercises every allow statement with an allowed and a denied case", () => {
    const allowedBy = new Map<string, number>();
    const deniedBy = new Map<string, number>();
    for (const r of ACCESS_MATRIX) {
      const d = decide(r);
      for (const s of d.statements) {
        if (s.outcome === "true" && r.expect === "allow")
          allowedBy.set(s.statement.id, (allowedBy.get(s.statement.id) ?? 0) + 1);
        if (s.outcome !== "true" && r.expect === "deny")
          deniedBy.set(s.statement.id, (deniedBy.get(s.statement.id) ?? 0) + 1);
      }
    }
    const statements = engine.allowStatements;
    const covered = statements.filter((s) => (allowedBy.get(s.id) ?? 0) > 0 && (deniedBy.get(s.id) ?? 0) > 0);
    const byOp = new Map<string, number>();
    for (const r of ACCESS_MATRIX) byOp.set(r.op, (byOp.get(r.op) ?? 0) + 1);
    const allowCases = ACCESS_MATRIX.filter((r) => r.expect === "allow").length;
    const lines = [
      `access matrix: ${ACCESS_MATRIX.length} cases (${allowCases} allow, ${ACCESS_MATRIX.length - allowCases} deny; ` +
        [...byOp].map(([op, n]) => `${op} ${n}`).join(", ") +
        ")",
      `allow statements covered (>= 1 allow case and >= 1 deny case): ${covered.length}/${statements.length}`,
      ...statements.map((s) => `  ${s.id}: allowed ${allowedBy.get(s.id) ?? 0}, denied ${deniedBy.get(s.id) ?? 0}`),
    ];
    console.log(lines.join("\n"));
    const uncovered = statements.filter((s) => !covered.includes(s)).map((s) => s.id);
    expect(uncovered).toEqual([]);
    expect(statements.length).toBeGreaterThan(0);
  });
});
