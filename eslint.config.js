// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules, React hooks rules
// for the renderer. Formatting is Prettier's job (.prettierrc.json), not the linter's.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
    {
        ignores: [
            "dist/**",
            "out/**",
            "release/**",
            "node_modules/**",
            "test-results/**",
            "playwright-report/**",
            "bench/results/**",
            "e2e/screenshots/**",
            "docs/**"
        ]
    },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: {globals: {...globals.node}},
        rules: {
            // `_name` marks a parameter a signature needs but this body does not use.
            "@typescript-eslint/no-unused-vars": ["error", {argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none"}],
            // Control characters in regular expressions are deliberate (validating names and text).
            "no-control-regex": "off"
        }
    },
    {
        files: ["renderer/**/*.{ts,tsx}"],
        languageOptions: {globals: {...globals.browser}},
        plugins: {"react-hooks": reactHooks},
        rules: {"react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "warn"}
    },
    {
        files: ["**/*.cjs"],
        languageOptions: {sourceType: "commonjs"}
    }
);
