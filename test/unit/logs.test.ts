/**
 * One personal-data rule for every log line: only functions/src/logs.ts writes logs, and
 * what it keeps of an unexpected error is where it came from (name, code, frames), never
 * what it said (messages can carry input values).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { errorTrace } from "../../functions/src/logs.js";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "../../functions/src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("logs.ts", () => {
  it("is the only module that writes logs (no logger or console elsewhere in functions/src)", () => {
    const offenders = sources(SRC)
      .filter((p) => relative(SRC, p) !== "logs.ts")
      .flatMap((p) =>
        readFileSync(p, "utf8")
          .split("\n")
          .map((line, i) => ({ line, at: `${relative(SRC, p)}:${i + 1}` }))
          .filter(({ line }) =>
            /\blogger\b.*from "firebase-functions|from "firebase-functions\/logger"|\bconsole\.(log|info|warn|error|debug)\(/.test(
              line,
            ),
          )
          .map(({ at }) => at),
      );
    expect(offenders, "log through a named function in functions/src/logs.ts").toEqual([]);
  });

  it("errorTrace keeps an error's name, code and frames, and drops its message and its cause's message", () => {
    const cause = new RangeError("iban GB29NWBK60161331926819");
    const err = Object.assign(new TypeError("customer Zebulon Quxworthy owes 98765.43", { cause }), { code: 14 });
    const trace = errorTrace(err);
    expect(trace).toMatchObject({ error: "TypeError", code: 14, cause: "RangeError" });
    expect(trace.stack.length).toBeGreaterThan(0);
    expect(trace.stack.every((f) => f.startsWith("at "))).toBe(true);
    expect(trace.stack.join("\n")).toContain("logs.test.ts");
    const logged = JSON.stringify(trace);
    for (const secret of ["Zebulon", "Quxworthy", "98765", "GB29", "iban"]) expect(logged).not.toContain(secret);
  });

  it("errorTrace of something that is not an Error says only its type", () => {
    expect(errorTrace("Zebulon Quxworthy")).toEqual({ error: "string", code: null, stack: [], cause: null });
    expect(errorTrace({ code: "ERR_X", message: "Zebulon" })).toEqual({
      error: "object",
      code: "ERR_X",
      stack: [],
      cause: null,
    });
  });
});
