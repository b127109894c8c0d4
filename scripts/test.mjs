#!/usr/bin/env node
// The README's test command: lints, builds what the browser and Electron specs load, runs the unit and
// black-box tests (vitest) and the browser e2e (Playwright), then prints one summary line.
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// The Playwright specs drive Debian's chromium (e2e/playwright.config.ts); say what to install before anything runs.
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!fs.existsSync(chromium)) {
    console.error(
        `npm test needs chromium at ${chromium} for the browser specs. Install it first:\n` +
            "  Debian/Ubuntu:  sudo apt-get install -y chromium\n" +
            "  elsewhere:      CHROMIUM_PATH=/path/to/chromium-or-chrome npm test"
    );
    process.exit(1);
}

const results = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-test-results-"));
const run = (command, args, env = {}) => spawnSync(command, args, {stdio: "inherit", env: {...process.env, ...env}}).status ?? 1;

// Style and structure first (seconds): the linter, the formatter's check, and the dependency check
// (no import cycle, imports point down the layers of ARCHITECTURE.md).
if (run("npm", ["run", "lint", "--silent"]) !== 0) {
    console.error("lint failed (`npm run format` fixes formatting; see the messages above for the rest)");
    process.exit(1);
}

if (run("npm", ["run", "build", "--silent"]) !== 0) {
    console.error("build failed");
    process.exit(1);
}

const vitestJson = path.join(results, "vitest.json");
const vitestCode = run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestJson}`]);

const playwrightJson = path.join(results, "playwright.json");
const playwrightCode = run("npx", ["playwright", "test", "-c", "e2e/playwright.config.ts", "--reporter=list,json"], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson
});

let passed = 0,
    failed = 0,
    skipped = 0;
try {
    const v = JSON.parse(fs.readFileSync(vitestJson, "utf8"));
    passed += v.numPassedTests;
    failed += v.numFailedTests;
    skipped += v.numPendingTests + (v.numTodoTests ?? 0);
} catch {
    failed++;
    console.error("vitest wrote no results");
}
try {
    const p = JSON.parse(fs.readFileSync(playwrightJson, "utf8"));
    passed += p.stats.expected;
    // Errors outside any test (a broken config or fixture) fail the run too.
    failed += p.stats.unexpected + (p.stats.flaky ?? 0) + (p.errors?.length ?? 0);
    skipped += p.stats.skipped;
} catch {
    failed++;
    console.error("playwright wrote no results");
}
console.log(`\nvitest exit ${vitestCode}, playwright exit ${playwrightCode}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(vitestCode === 0 && playwrightCode === 0 && failed === 0 ? 0 : 1);
