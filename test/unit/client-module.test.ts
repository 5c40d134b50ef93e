/**
 * `credit-desk-functions/client` is what web and mobile clients bundle: it must load zod and
 * the contract only — never firebase-admin, firebase-functions or Google Cloud clients —
 * and its typed helper must go through the `httpsCallable` it is given.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  CALLABLE_NAMES,
  ContractViolationError,
  creditDesk,
  internalErrorId,
} from "../../functions/src/client/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

describe("the client module's package entry point", () => {
  it("is exported as credit-desk-functions/client, with its types", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "functions/package.json"), "utf8")) as {
      exports: Record<string, unknown>;
    };
    expect(pkg.exports["./client"]).toEqual({ types: "./lib/client/index.d.ts", default: "./lib/client/index.js" });
  });

  it("loads zod and the contract only: no firebase-admin, no firebase-functions (the built module, as a client loads it)", () => {
    if (!existsSync(join(ROOT, "functions/lib/client/index.js")))
      expect.fail("functions/lib/client/index.js is missing: run npm run build");
    const script = `
      const client = require("credit-desk-functions/client");
      const loaded = Object.keys(require.cache);
      const packages = [...new Set(loaded.filter((f) => f.includes("/node_modules/")).map((f) => f.split("/node_modules/").pop().split("/")[0]))];
      const own = loaded.filter((f) => !f.includes("/node_modules/")).map((f) => f.slice(f.indexOf("/functions/lib/") + 1));
      console.log(JSON.stringify({ packages, own, exports: typeof client.creditDesk }));`;
    const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" })) as {
      packages: string[];
      own: string[];
      exports: string;
    };
    expect(out.exports).toBe("function");
    expect(out.packages).toEqual(["zod"]);
    expect(out.own.filter((f) => !/^functions\/lib\/(client|schemas|domain)\//.test(f))).toEqual([]);
  });
});

describe("creditDesk(functions, httpsCallable)", () => {
  const fake = (answer: (name: string, data: unknown) => unknown) => {
    const calls: Array<{ functions: unknown; name: string; options: unknown; data: unknown }> = [];
    const httpsCallable =
      (functions: { id: string }, name: string, options?: { timeout?: number }) => async (data?: unknown) => {
        calls.push({ functions, name, options, data });
        return { data: answer(name, data) };
      };
    return { calls, httpsCallable };
  };

  it("has one typed function per callable, each calling httpsCallable with the instance, its name and the input", async () => {
    const { calls, httpsCallable } = fake(() => ({
      decision: "approve",
      availableCredit: 5,
      reasons: ["WITHIN_AVAILABLE_CREDIT"],
    }));
    const functions = { id: "functions-instance" };
    const desk = creditDesk(functions, httpsCallable, { timeoutMs: 5_000 });
    for (const name of CALLABLE_NAMES) expect(typeof desk[name], name).toBe("function");
    const result = await desk.checkOrder({ customerId: "c1", orderAmount: 1_250_00 });
    expect(result.decision).toBe("approve");
    expect(calls).toEqual([
      { functions, name: "checkOrder", options: { timeout: 5_000 }, data: { customerId: "c1", orderAmount: 1_250_00 } },
    ]);
  });

  it("with checkResults, refuses a result that does not fit the output schema, naming the field", async () => {
    const { httpsCallable } = fake(() => ({ decision: "maybe", availableCredit: 5, reasons: [] }));
    const desk = creditDesk({ id: "f" }, httpsCallable, { checkResults: true });
    await expect(desk.checkOrder({ customerId: "c1", orderAmount: 1 })).rejects.toThrow(ContractViolationError);
    await expect(desk.call("checkOrder", { customerId: "c1", orderAmount: 1 })).rejects.toThrow(
      /checkOrder: .*decision/,
    );
    const lenient = creditDesk({ id: "f" }, httpsCallable);
    expect((await lenient.checkOrder({ customerId: "c1", orderAmount: 1 })).decision).toBe("maybe");
  });

  it("internalErrorId reads the error id of an internal error only", () => {
    expect(internalErrorId({ code: "functions/internal", details: { errorId: "e-1" } })).toBe("e-1");
    expect(internalErrorId({ code: "functions/not-found", details: { errorId: "e-1" } })).toBeNull();
    expect(internalErrorId(new Error("x"))).toBeNull();
  });
});
