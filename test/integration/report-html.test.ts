/**
 * npm run report's HTML: the demo portfolio (made in-process as the seed makes it) with the
 * seed's twelve months of demo history and a what-if with stricter grade caps, rendered into one
 * self-contained file, then opened in headless Chromium (Debian's `chromium`, driven by
 * playwright-core), which must have drawn every chart: an SVG with marks. Without Chromium only
 * the browser check is skipped, and says why.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { getPortfolioReportOutput, simulatePolicyOutput } from "../../functions/src/schemas/outputs.js";
import { chartsDrawn, chromiumPath } from "../../scripts/lib/browser.mjs";
import { writeDemoHistory } from "../../scripts/lib/demo-history.mjs";
import { CHARTS, fromSaved, renderReportHtml } from "../../scripts/lib/report-html.mjs";
import { call, firestoreServer, users } from "../support/callables.js";
import { seedDemoInProcess } from "../support/demo-portfolio.js";

const CHROMIUM = chromiumPath();
const SKIP_REASON =
  "Debian's chromium is not installed (.ci/run installs it: apt-get install -y --no-install-recommends chromium; or set CHROMIUM_PATH)";
if (!CHROMIUM) console.info(`report-html.test.ts: the browser check is skipped — ${SKIP_REASON}`);

const dir = mkdtempSync(path.join(os.tmpdir(), "credit-desk-report-"));
const file = path.join(dir, "portfolio-report.html");
let html = "";

beforeAll(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
  await seedDemoInProcess();
  const today = getPortfolioReportOutput.parse(await call(fns.getPortfolioReport, {}, users.manager));
  const history = await writeDemoHistory({
    projectId: "demo-credit",
    firestoreHost: process.env.FIRESTORE_EMULATOR_HOST!,
    report: today,
  });
  expect(history).toEqual({ written: 12, kept: 0 });
  const report = getPortfolioReportOutput.parse(await call(fns.getPortfolioReport, {}, users.manager));
  const whatIf = simulatePolicyOutput.parse(
    await call(
      fns.simulatePolicy,
      { policy: { limits: { gradeCaps: { A: 50_000_00, B: 25_000_00, C: 10_000_00 } } } },
      users.manager,
    ),
  );
  html = renderReportHtml({ report, whatIf, source: "test", generatedAt: "2026-11-30T00:00:00.000Z" });
  writeFileSync(file, html);
}, 120_000);

describe("the report's HTML", () => {
  it("is one self-contained file: every chart an inline SVG, no script, nothing fetched from elsewhere", () => {
    for (const c of CHARTS) expect(html, c.id).toMatch(new RegExp(`<figure data-chart="${c.id}"><svg[^>]*>`));
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs).toEqual([]);
    expect(html).not.toMatch(/url\((?!#)/);
  });

  it("tells the demo portfolio's story: twelve months of trends, the class migration, and which demo customers stricter caps would cut", () => {
    expect(html).toContain("12 monthly snapshots");
    expect(html).toContain("12 of them are the demo seed's history");
    for (const name of ["Adatum Health Pte Ltd", "Contoso Manufacturing GmbH", "Northwind Traders Ltd"])
      expect(html, name).toContain(name);
    expect(html).toContain("limits.gradeCaps.A, limits.gradeCaps.B, limits.gradeCaps.C");
  });

  it("renders a saved reports/{yyyy-mm} snapshot as the report of its month", async () => {
    const { firestore } = await import("../../functions/src/data/firebase.js");
    const snap = (await firestore().collection("reports").orderBy("period", "desc").limit(1).get()).docs[0]!;
    const saved = JSON.parse(JSON.stringify({ ...snap.data(), takenAt: snap.get("takenAt").toMillis() }));
    const page = renderReportHtml({ ...fromSaved(saved), source: "saved" });
    for (const c of CHARTS) expect(page, c.id).toContain(`data-chart="${c.id}"`);
    expect(page).toContain(`Portfolio report — ${new Date(saved.takenAt).toISOString().slice(0, 10)}`);
  });

  it.skipIf(!CHROMIUM)(
    "opens in headless Chromium with every chart drawn (an SVG with marks)",
    async () => {
      const drawn = await chartsDrawn(
        file,
        CHARTS.map((c) => c.id),
      );
      for (const c of CHARTS) {
        expect(drawn[c.id]!.svg, c.id).toBe(true);
        expect(drawn[c.id]!.width, c.id).toBeGreaterThan(300);
        expect(drawn[c.id]!.height, c.id).toBeGreaterThan(200);
      }
      // 13 months × 6 aging buckets and × 3 classes of bars, nine heat-map cells, four lines, three customers' bars
      expect(drawn.aging!.marks).toBeGreaterThan(13 * 3);
      expect(drawn.exposure!.marks).toBeGreaterThan(13 * 2);
      expect(drawn.migration!.marks).toBeGreaterThanOrEqual(9);
      expect(drawn.collection!.marks).toBeGreaterThan(13);
      expect(drawn.whatif!.marks).toBeGreaterThanOrEqual(3);
    },
    120_000,
  );
});
