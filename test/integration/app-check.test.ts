/**
 * App Check fails closed. Over HTTP: the deployed callable's own request handler (the
 * function firebase-functions builds for Cloud Run, which the Functions Framework serves
 * with express) receives a POST without an App Check token, as a real client's would
 * arrive. (`.run`, which the other suites use, skips the App Check check.)
 *
 * The callable module is loaded afresh for each environment, as a cold start would: the
 * setting is read once, when the options are built. Without an ID token either, a request
 * that passes App Check reaches our handler, which answers "Sign in to call this
 * function."; one stopped by App Check gets the framework's "Unauthenticated".
 */
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { AddressInfo } from "node:net";
import express from "express";
import { appCheckSetting } from "../../functions/src/config.js";
import { captureLogs } from "../support/arbitraries.js";

const saved = { emulator: process.env.FUNCTIONS_EMULATOR, flag: process.env.CREDIT_DESK_ENFORCE_APP_CHECK };

function setEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

afterEach(() => {
  setEnv("FUNCTIONS_EMULATOR", saved.emulator);
  setEnv("CREDIT_DESK_ENFORCE_APP_CHECK", saved.flag);
});
afterAll(() => vi.resetModules());

type Outcome = { status: number; message: string; enforcedLog: boolean | null };

/** Cold-start checkOrder under `env`, serve it over HTTP, POST a request without App Check (or ID) token. */
async function callWithoutAppCheck(env: {
  FUNCTIONS_EMULATOR?: string;
  CREDIT_DESK_ENFORCE_APP_CHECK?: string;
}): Promise<Outcome> {
  setEnv("FUNCTIONS_EMULATOR", env.FUNCTIONS_EMULATOR);
  setEnv("CREDIT_DESK_ENFORCE_APP_CHECK", env.CREDIT_DESK_ENFORCE_APP_CHECK);
  const capture = await captureLogs();
  let handler: (req: express.Request, res: express.Response) => unknown;
  try {
    vi.resetModules();
    handler = (await import("../../functions/src/api/checkOrder.js")).checkOrder as unknown as typeof handler;
  } finally {
    capture.restore();
  }
  const modeLines = capture.entries.filter((l) => l.includes("app_check_mode"));
  const enforcedLog = modeLines.length === 1 ? /"enforced":\s*(true|false)/.exec(modeLines[0]!)?.[1] === "true" : null;

  const app = express();
  app.use(express.json());
  app.post("/", (req, res) => void handler(req, res));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { customerId: "c1", orderAmount: 100_00 } }),
    });
    const body = (await res.json()) as { error?: { message?: string } };
    return { status: res.status, message: body.error?.message ?? "", enforcedLog };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const STOPPED_BY_APP_CHECK = { status: 401, message: "Unauthenticated", enforcedLog: true };
const REACHED_HANDLER = { status: 401, message: "Sign in to call this function.", enforcedLog: false };

describe("App Check fails closed (over HTTP, enforcement from the environment at cold start)", () => {
  it.each([
    ["reproduction: unset", undefined],
    ['reproduction: "TRUE"', "TRUE"],
    ['reproduction: "1"', "1"],
    ['"true"', "true"],
    ['"yes"', "yes"],
    ["empty", ""],
    ['a typo ("flase")', "flase"],
  ])(
    "%s outside the emulator: a request without an App Check token never reaches the handler",
    async (_name, value) => {
      expect(await callWithoutAppCheck({ CREDIT_DESK_ENFORCE_APP_CHECK: value })).toEqual(STOPPED_BY_APP_CHECK);
    },
  );

  it.each([["false"], ["FALSE"], ["0"], ["no"], [" No "]])(
    "explicitly off (%s): the request reaches the handler",
    async (value) => {
      expect(await callWithoutAppCheck({ CREDIT_DESK_ENFORCE_APP_CHECK: value })).toEqual(REACHED_HANDLER);
    },
  );

  it("in the Functions emulator (FUNCTIONS_EMULATOR=true) it is not enforced, whatever the flag says", async () => {
    expect(await callWithoutAppCheck({ FUNCTIONS_EMULATOR: "true", CREDIT_DESK_ENFORCE_APP_CHECK: "true" })).toEqual(
      REACHED_HANDLER,
    );
  });
});

describe("appCheckSetting", () => {
  it("names why", () => {
    expect(appCheckSetting({})).toEqual({ enforced: true, reason: "DEFAULT" });
    expect(appCheckSetting({ CREDIT_DESK_ENFORCE_APP_CHECK: "TRUE" })).toEqual({ enforced: true, reason: "ENABLED" });
    expect(appCheckSetting({ CREDIT_DESK_ENFORCE_APP_CHECK: "maybe" })).toEqual({
      enforced: true,
      reason: "UNRECOGNISED",
    });
    expect(appCheckSetting({ CREDIT_DESK_ENFORCE_APP_CHECK: "No" })).toEqual({ enforced: false, reason: "DISABLED" });
    expect(appCheckSetting({ FUNCTIONS_EMULATOR: "true" })).toEqual({ enforced: false, reason: "EMULATOR" });
    expect(appCheckSetting({ FUNCTIONS_EMULATOR: "false", CREDIT_DESK_ENFORCE_APP_CHECK: "1" })).toEqual({
      enforced: true,
      reason: "ENABLED",
    });
  });
});
