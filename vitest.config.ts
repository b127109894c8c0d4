import {defineConfig} from "vitest/config";

/**
 * Unit tests: Node code in `node`, renderer code in happy-dom. One forked worker at a time: native
 * model memory and a small machine. The Playwright e2e specs under e2e/ run separately.
 */
export default defineConfig({
    oxc: {jsx: {runtime: "automatic"}},
    test: {
        pool: "forks",
        maxWorkers: 1,
        fileParallelism: false,
        testTimeout: 60_000,
        hookTimeout: 60_000,
        exclude: ["**/node_modules/**", "**/dist/**", "e2e/**"],
        projects: [
            {
                extends: true,
                test: {
                    name: "node",
                    environment: "node",
                    include: ["main/**/*.test.ts", "shared/**/*.test.ts", "preload/**/*.test.ts", "test/**/*.test.ts"]
                }
            },
            {
                extends: true,
                test: {
                    name: "renderer",
                    environment: "happy-dom",
                    include: ["renderer/src/**/*.test.{ts,tsx}"]
                }
            }
        ]
    }
});
