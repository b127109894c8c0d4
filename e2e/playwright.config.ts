import {defineConfig, devices} from "@playwright/test";

const chromiumArgs = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync"
];

/** E2E in Debian's chromium against the real headless server (see e2e/server.ts). */
export default defineConfig({
    testDir: ".",
    testMatch: "*.spec.ts",
    outputDir: "../test-results",
    workers: 1,
    fullyParallel: false,
    forbidOnly: Boolean(process.env.CI),
    retries: 0,
    timeout: 120_000,
    expect: {timeout: 20_000},
    reporter: [["list"]],
    use: {
        trace: "retain-on-failure",
        screenshot: "only-on-failure",
        viewport: {width: 1280, height: 800},
        colorScheme: "light"
    },
    projects: [
        {
            name: "chromium",
            use: {
                ...devices["Desktop Chrome"],
                viewport: {width: 1280, height: 800},
                launchOptions: {executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: chromiumArgs}
            }
        }
    ]
});
