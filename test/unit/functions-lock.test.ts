/**
 * A deploy installs what CI tested: functions/package-lock.json (what Cloud Build's `npm ci`
 * installs in the uploaded functions directory) is the root lockfile's closure of the functions
 * package's dependencies — the versions `npm ci && npm test` installed.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error — a plain ES module script without types
import { functionsLock } from "../../scripts/functions-lock.mjs";

const read = (p: string) => JSON.parse(readFileSync(new URL(`../../${p}`, import.meta.url), "utf8"));

describe("functions/package-lock.json", () => {
  it("is the root lockfile's closure of the functions package (run `npm run lock:functions` after changing dependencies)", () => {
    expect(read("functions/package-lock.json")).toEqual(functionsLock());
  });

  it("locks the functions package's runtime dependencies at the versions CI installed", () => {
    const lock = read("functions/package-lock.json");
    const rootLock = read("package-lock.json");
    for (const name of Object.keys(read("functions/package.json").dependencies)) {
      const at = lock.packages[`node_modules/${name}`] ?? lock.packages[`node_modules/${name}`];
      expect(at?.version, name).toBe(
        (rootLock.packages[`node_modules/${name}`] ?? rootLock.packages[`functions/node_modules/${name}`]).version,
      );
    }
  });
});
