#!/usr/bin/env node
/**
 * npm run report — the portfolio report of the running local stack (npm start) as one
 * self-contained HTML file with its charts drawn as SVG (no network needed to view it).
 *
 *   npm run report                                   # as manager@demo.test, through getPortfolioReport
 *   npm run report -- --policy candidate.json        # …and the what-if of a candidate policy (simulatePolicy)
 *   npm run report -- --snapshot saved.json          # a saved report (--json), or one reports/{yyyy-mm} snapshot
 *   options: --out FILE (default portfolio-report.html) --json FILE (save what was rendered)
 *            --screenshot FILE.png (Debian's chromium) --functions URL --auth HOST --project ID --email --password
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fromSaved, renderReportHtml } from "./lib/report-html.mjs";

const args = process.argv.slice(2);
/**
 * The value of `--name`, else `fallback`.
 * @template {string | null} [F=null]
 * @param {string} name
 * @param {F} [fallback]
 * @returns {string | F}
 */
function arg(name, fallback = /** @type {F} */ (null)) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) throw new Error(`--${name} needs a value`);
  return v;
}
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

async function fromStack() {
  const { clientSession } = await import("./lib/client.mjs");
  const { DEFAULT_PROJECT_ID, DEFAULT_REGION, defaultPorts } = await import("./lib/stack.mjs");
  const { DEMO_PASSWORD } = await import("./lib/seed.mjs");
  const ports = defaultPorts();
  const functionsOrigin = arg("functions", `http://127.0.0.1:${ports.functions}`);
  const authHost = arg("auth", `127.0.0.1:${ports.auth}`);
  const session = clientSession({
    projectId: arg("project", DEFAULT_PROJECT_ID),
    region: DEFAULT_REGION,
    authHost,
    functionsOrigin,
    name: "report",
  });
  try {
    await session.signIn(arg("email", "manager@demo.test"), arg("password", DEMO_PASSWORD));
    const report = /** @type {{ asOf: string }} */ (await session.call("getPortfolioReport", {}));
    /** @type {{ mode: string, simulationId?: string } | null} */
    let whatIf = null;
    const policyFile = arg("policy");
    if (policyFile) {
      whatIf = /** @type {{ mode: string, simulationId?: string }} */ (
        await session.call("simulatePolicy", { policy: readJson(policyFile) })
      );
      if (whatIf.mode === "queued")
        console.log(
          `The what-if runs as a job over this portfolio: simulations/${whatIf.simulationId} (the report shows it once done).`,
        );
    }
    return { report, whatIf, source: `${functionsOrigin} as ${arg("email", "manager@demo.test")}` };
  } catch (err) {
    const hint =
      err?.code === "auth/network-request-failed" || /ECONNREFUSED|fetch failed/.test(String(err?.message))
        ? " (is `npm start` running?)"
        : "";
    throw new Error(`${err?.code ?? "error"}: ${err?.message ?? err}${hint}`, { cause: err });
  } finally {
    await session.close();
  }
}

async function main() {
  const out = path.resolve(arg("out", "portfolio-report.html"));
  const snapshotFile = arg("snapshot");
  let data;
  if (snapshotFile) {
    data = { ...fromSaved(readJson(snapshotFile)), source: `saved: ${path.basename(snapshotFile)}` };
    if (arg("policy"))
      throw new Error("--policy needs the running stack (simulatePolicy); a saved bundle (--json) keeps its what-if");
  } else {
    data = await fromStack();
  }
  writeFileSync(out, renderReportHtml({ report: data.report, whatIf: data.whatIf, source: data.source }));
  const json = arg("json");
  if (json) writeFileSync(json, `${JSON.stringify({ report: data.report, whatIf: data.whatIf }, null, 2)}\n`);
  console.log(`Portfolio report as of ${data.report.asOf}: ${out}${json ? ` (data: ${json})` : ""}`);
  const shot = arg("screenshot");
  if (shot) {
    const { chromiumPath, screenshot } = await import("./lib/browser.mjs");
    if (!chromiumPath()) throw new Error("--screenshot needs Debian's chromium (apt-get install chromium)");
    await screenshot(out, shot);
    console.log(`Screenshot: ${shot}`);
  }
}

main().catch((err) => {
  console.error(`npm run report: ${err.message}`);
  process.exit(1);
});
