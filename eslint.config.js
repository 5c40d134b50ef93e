// ESLint flat config: typescript-eslint's recommended rules over the functions and tests.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "functions/lib/**", "coverage/**", "bench/results.json"] },
  ...tseslint.configs.recommended,
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
