import { defineConfig } from "vitest/config";

/**
 * One project per test tier (`vitest run --project unit`); `vitest run` runs them all.
 * Only the tiers that talk to Firestore get the setup file that starts an in-process
 * Firestore per test file (or points at the official emulator under npm run test:emulator):
 * unit tests are pure, and the rules tier evaluates firestore.rules in-process (its official
 * emulator half reads FIRESTORE_EMULATOR_HOST, which `firebase emulators:exec` sets).
 */
const FIRESTORE_SETUP = ["test/support/setup-firestore.ts"];

export default defineConfig({
  test: {
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
    // The functions' structured JSON log lines would drown the report: keep them out, and
    // keep what tests print on purpose (the access matrix's case and coverage counts).
    onConsoleLog: (log: string) => !(log.trimStart().startsWith("{") && log.includes('"severity"')),
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "integration", include: ["test/integration/**/*.test.ts"], setupFiles: FIRESTORE_SETUP },
      },
      { extends: true, test: { name: "rules", include: ["test/rules/**/*.test.ts"] } },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], setupFiles: FIRESTORE_SETUP } },
    ],
  },
});
