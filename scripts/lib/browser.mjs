/**
 * Headless Chromium for the report: Debian's `chromium` package driven by playwright-core (which
 * downloads no browser of its own). Used by the report's browser check and by
 * `npm run report -- --screenshot FILE`.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** Where Debian's chromium is (CHROMIUM_PATH overrides), or null when it is not installed. */
export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH ?? "", "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(
    (p) => p !== "",
  );
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** Flags for a closed network: no background connections, no first-run, a fresh profile. */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Open an HTML file in headless Chromium and run `fn(page)`; the browser is closed after. */
export async function withPage(htmlFile, fn, { width = 1600, height = 1200 } = {}) {
  const executablePath = chromiumPath();
  if (!executablePath)
    throw new Error("Debian's chromium is not installed (apt-get install -y --no-install-recommends chromium)");
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(path.join(os.tmpdir(), "credit-desk-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: FLAGS,
    viewport: { width, height },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    // The report needs nothing from the network: refuse every request that is not the file itself.
    const own = pathToFileURL(path.resolve(htmlFile)).href;
    await page.route("**/*", (route) => (route.request().url() === own ? route.continue() : route.abort()));
    await page.goto(own, { waitUntil: "load" });
    return await fn(page);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * What the browser drew for each chart: whether its <figure data-chart> holds an SVG, the SVG's
 * rendered size, and how many marks (paths, rectangles, circles with a size) are in it.
 */
export async function chartsDrawn(htmlFile, ids) {
  return withPage(htmlFile, (page) =>
    page.evaluate((chartIds) => {
      const out = {};
      for (const id of chartIds) {
        const svg = document.querySelector(`figure[data-chart="${id}"] svg`);
        if (!svg) {
          out[id] = { svg: false, marks: 0, width: 0, height: 0 };
          continue;
        }
        const box = svg.getBoundingClientRect();
        const marks = [...svg.querySelectorAll("path, rect, circle")].filter((el) => {
          const b = el.getBoundingClientRect();
          return b.width > 0 && b.height > 0 && getComputedStyle(el).visibility !== "hidden";
        }).length;
        out[id] = { svg: true, marks, width: Math.round(box.width), height: Math.round(box.height) };
      }
      return out;
    }, ids),
  );
}

/** A full-page PNG of the report. */
export async function screenshot(htmlFile, pngFile, { width = 1600 } = {}) {
  await withPage(htmlFile, (page) => page.screenshot({ path: pngFile, fullPage: true }), { width, height: 1000 });
}
