/**
 * Traceable errors: an unexpected error in a callable is logged with its stack under a new
 * error id, and the caller's `internal` error carries that id (in its message and in
 * details.errorId, which the callable protocol sends to the client). The log keeps the
 * stack's frames but not the error's message or the input, which can hold personal data
 * and figures.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { HttpsError } from "firebase-functions/v2/https";
import { captureLogs, type LogCapture } from "../support/arbitraries.js";
import { call, users } from "../support/callables.js";

const SECRET_CUSTOMER = "cust-Quxworthy-7781";
const SECRET_AMOUNT = 31_415_92;
const SECRET_MESSAGE = "Zebulon Quxworthy owes 98765.43";

// The policy read fails unexpectedly: every callable that loads the policy ends in `internal`.
vi.mock("../../functions/src/services/policy.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../functions/src/services/policy.js")>();
  return {
    ...real,
    loadPolicy: async () => {
      throw new TypeError(SECRET_MESSAGE);
    },
  };
});

const fns = await import("../../functions/src/index.js");

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The structured log entries with this message. */
function entries(capture: LogCapture, message: string): Array<Record<string, unknown>> {
  return capture.entries
    .filter((line) => line.trimStart().startsWith("{") && line.includes('"severity"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter(
      (e) =>
        typeof e.message === "string" &&
        (e.message === message || e.message.startsWith(`${message} `) || e.message.startsWith(`Error: ${message} `)),
    );
}

async function internalError(p: Promise<unknown>): Promise<HttpsError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpsError);
  return err as HttpsError;
}

describe("an unexpected error in a callable", () => {
  let capture: LogCapture;
  let first: HttpsError;
  let second: HttpsError;

  beforeAll(async () => {
    capture = await captureLogs(false);
    try {
      first = await internalError(
        call(fns.checkOrder, { customerId: SECRET_CUSTOMER, orderAmount: SECRET_AMOUNT }, users.sales),
      );
      second = await internalError(call(fns.reassessCustomer, { customerId: SECRET_CUSTOMER }, users.analyst));
    } finally {
      capture.restore();
    }
  });

  afterAll(() => capture?.restore());

  it("reaches the client as `internal` with an error id in its message and in details.errorId", () => {
    expect(first.code).toBe("internal");
    const errorId = (first.details as { errorId?: string } | undefined)?.errorId ?? "";
    expect(errorId).toMatch(UUID);
    expect(first.message).toContain(errorId);
    // What the callable protocol sends over the wire (firebase-functions encodes toJSON()).
    expect(first.toJSON()).toMatchObject({ status: "INTERNAL", details: { errorId } });
    expect(first.message).not.toContain(SECRET_MESSAGE);
  });

  it("is logged once, with the same error id, the callable, the caller and the stack's frames", () => {
    const failed = entries(capture, "callable_failed");
    expect(failed.map((e) => e.errorId)).toEqual([
      (first.details as { errorId: string }).errorId,
      (second.details as { errorId: string }).errorId,
    ]);
    const [log] = failed;
    expect(log).toMatchObject({ callable: "checkOrder", uid: users.sales.uid, error: "TypeError", severity: "ERROR" });
    const stack = log!.stack as string[];
    expect(stack.length).toBeGreaterThan(0);
    expect(stack.every((frame) => frame.startsWith("at "))).toBe(true);
    expect(stack.join("\n"), "the frames lead to where it was thrown").toContain("internal-errors.test.ts");
    expect(entries(capture, "callable_rejected"), "an internal error is not also logged as a rejection").toEqual([]);
    // Cloud Error Reporting reads the stack in the message: the thrower's frames, under the error id.
    expect(String(log!.message).split("\n")).toEqual([
      `Error: callable_failed ${String(log!.errorId)} (TypeError)`,
      ...stack.map((f) => `    ${f}`),
    ]);
  });

  it("gets a new id each time", () => {
    expect((second.details as { errorId: string }).errorId).not.toBe((first.details as { errorId: string }).errorId);
    expect(second.code).toBe("internal");
  });

  it("logs neither the error's message nor the input", () => {
    const all = capture.entries.join("\n");
    expect(all).toContain("callable_failed");
    for (const secret of [SECRET_MESSAGE, "Quxworthy", "98765", SECRET_CUSTOMER, String(SECRET_AMOUNT), "314159"])
      expect(all).not.toContain(secret);
  });
});
