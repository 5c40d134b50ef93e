import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/setup-firestore.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
    // The functions' structured JSON log lines would drown the report: keep them out, and
    // keep what tests print on purpose (the access matrix's case and coverage counts).
    onConsoleLog: (log: string) => !(log.trimStart().startsWith("{") && log.includes('"severity"')),
  },
});
