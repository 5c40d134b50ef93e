// ESLint flat config: typescript-eslint's recommended rules over the functions, tests, scripts and
// bench, and its type-checked promise rules (a promise nobody awaits loses its error and its order).
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "functions/lib/**", "coverage/**", "bench/results.json"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.mjs", "**/*.js"],
    languageOptions: {
      parserOptions: {
        // The TypeScript program of the nearest tsconfig.json (the root one: functions/src and
        // test; scripts/ and bench/ have their own); configs and the docs example use a default one.
        projectService: { allowDefaultProject: ["*.js", "*.ts", "docs/examples/*.mjs"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
    },
  },
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["functions/src/domain/**/*.ts"],
    rules: {
      // The domain is pure: no Firebase, no clock.
      "no-restricted-imports": ["error", { patterns: ["firebase-admin*", "firebase-functions*", "@google-cloud/*"] }],
      "no-restricted-properties": ["error", { object: "Date", property: "now", message: "Pass the clock in." }],
    },
  },
);
