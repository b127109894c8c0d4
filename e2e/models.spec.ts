import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join} from "node:path";
import {expect, test, type Page} from "@playwright/test";
import {expectFits} from "./layoutChecks.js";
import {repoRoot, startServer, testModelPath, type RunningServer} from "./server.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});
const sharedModels = dirname(testModelPath());

// Its own server: switching the model must not change the shared server the other specs use. It runs a
// longer context per sequence (4096) than the models were trained with (2048), as a user's setting may.
let server: RunningServer;
let dataDir: string;
test.beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "kvshare-e2e-models-"));
    writeFileSync(join(dataDir, "settings.json"), JSON.stringify({sharing: {costGate: false}, contextSize: 4096}));
    server = await startServer({dataDir, modelsFolder: [join(sharedModels, "TinyStories-656K-Q8_0.gguf")]});
});
test.afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, {recursive: true, force: true});
});

/** Opens the picker's popover: the models folder, Refresh, the served model's context. */
async function openModelsInfo(page: Page) {
    await page.getByTestId("models-info-toggle").click();
    const panel = page.getByTestId("models-info");
    await expect(panel).toBeVisible();
    return panel;
}

test("the header's model picker switches to another model with a progress bar", async ({page}) => {
    await page.goto(server.url);
    const select = page.getByTestId("model-select");
    // The served model is named once: in the picker.
    await expect(select.locator("option:checked")).toHaveText(/^stories260K · .* · runs 4096 \(current\)$/);
    await expect(page.getByTestId("model-name")).toHaveCount(0);
    await expect(select.locator("option")).toHaveText([/^stories260K · .* · runs 4096 \(current\)$/, /^TinyStories-656K-Q8_0 · .*llama/]);
    await expect(page.getByTestId("model-load")).toBeDisabled();

    // Watch for the progress bar from the page itself (the load of a tiny model is quick).
    await page.evaluate(() => {
        const w = window as unknown as {__sawProgress: boolean};
        w.__sawProgress = false;
        new MutationObserver(() => {
            if (document.querySelector('[data-testid="model-progress"]')) w.__sawProgress = true;
        }).observe(document.body, {subtree: true, childList: true});
    });
    const tiny = await select.locator("option", {hasText: "TinyStories-656K-Q8_0"}).getAttribute("value");
    await select.selectOption(tiny!);
    await page.getByTestId("model-load").click();

    await expect(select.locator("option:checked")).toHaveText(/TinyStories-656K-Q8_0 .*· runs 4096 \(current\)/);
    await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
    expect(await page.evaluate(() => (window as unknown as {__sawProgress: boolean}).__sawProgress)).toBe(true);
    await expect(page.getByTestId("model-progress")).toHaveCount(0);
    await expect(select.locator("option:checked")).toHaveText(/TinyStories-656K-Q8_0 .*· runs 4096 \(current\)/);
    await expect(page.getByTestId("model-error")).toHaveCount(0);
});

test("a user adding a model: the picker says where, lists a file copied in without a reload, and marks those that cannot be served", async ({
    page,
    context
}) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.goto(server.url);
    const select = page.getByTestId("model-select");
    await expect(select.locator("option")).toHaveCount(2);
    const folder = join(server.dataDir, "models");

    const panel = await openModelsInfo(page);
    await expect(panel.getByTestId("models-dir")).toHaveText(folder);
    await expect(panel).toContainText("Copy .gguf files here");
    await panel.getByRole("button", {name: "Copy"}).click();
    await expect(panel.getByTestId("models-dir-copy")).toHaveText("Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(folder);
    await page.screenshot({path: join(shots, "models-folder-1280.png")});

    // A model copied in while the page is open: Refresh lists it.
    copyFileSync(join(sharedModels, "TinyStories-656K-Q2_K.gguf"), join(folder, "TinyStories-656K-Q2_K.gguf"));
    await panel.getByRole("button", {name: "Refresh"}).click();
    await expect(select.locator("option", {hasText: "TinyStories-656K-Q2_K"})).toHaveCount(1);
    await expect(panel.getByTestId("models-count")).toHaveText("3 models");
    await page.keyboard.press("Escape");
    await expect(panel).toHaveCount(0);

    // Files that cannot be served, copied in: a vocabulary-only file and a download cut short. Coming back to
    // the picker (its focus) lists them, disabled, with the reason, after the models there are to choose.
    copyFileSync(join(sharedModels, "vocab-only/ggml-vocab-llama-spm.gguf"), join(folder, "ggml-vocab-llama-spm.gguf"));
    const whole = readFileSync(testModelPath());
    writeFileSync(join(folder, "Half-Download.gguf"), whole.subarray(0, Math.floor(whole.length / 2)));
    await expect
        .poll(
            async () => {
                await select.blur();
                await select.focus();
                return select.locator("option").count();
            },
            {timeout: 15_000, intervals: [500]}
        )
        .toBe(5);
    const vocab = select.locator("option", {hasText: "ggml-vocab-llama-spm"});
    await expect(vocab).toHaveText(/^ggml-vocab-llama-spm · .* · cannot be served: it holds no weights \(a vocabulary-only file\)$/);
    await expect(vocab).toBeDisabled();
    const half = select.locator("option", {hasText: "Half-Download"});
    await expect(half).toHaveText(/cannot be served: the file is truncated/);
    await expect(half).toBeDisabled();
    await expect(select.locator("option").last()).toBeDisabled();
    await expect(select.locator("option:not([disabled])")).toHaveCount(3);
    // A disabled option cannot be chosen (Playwright waits for it to be enabled, in vain).
    await expect(select.selectOption({label: (await vocab.textContent())!}, {timeout: 1000})).rejects.toThrow(/not enabled|Timeout/);

    const again = await openModelsInfo(page);
    await expect(again.getByTestId("models-count")).toHaveText("3 models, 2 cannot be served");
});

test("the served model's trained context beside the one it runs with, and a hint that it runs longer", async ({page}) => {
    await page.goto(server.url);
    const toggle = page.getByTestId("models-info-toggle");
    // Said on the button while the popover is closed.
    await expect(toggle).toHaveAccessibleName("Models folder and details (the context is longer than the model was trained for)");
    const panel = await openModelsInfo(page);
    // The model served (the switch above may have changed it), with its trained context (2048 or 512) from its option.
    const option = (await page.getByTestId("model-select").locator("option:checked").textContent())!;
    const [, current, trained] = /^(\S+) · .* · trained (\d+) ctx · runs 4096 \(current\)$/.exec(option)!;
    await expect(panel.getByTestId("model-context")).toHaveText(`${current} runs with 4096 tokens of context per sequence; it was trained with ${trained}.`);
    await expect(panel.getByTestId("model-context-hint")).toHaveText(
        `That is longer than it was trained for: past ${trained} tokens its answers may degrade. Set Context per sequence to ${trained} or less in Admin settings.`
    );
    await expect(page.getByRole("alert")).toHaveCount(0);
    // A click elsewhere closes it.
    await page.locator(".header-title").click();
    await expect(panel).toHaveCount(0);
});

test("375×700: the popover fits a phone, the header stays one line", async ({page}) => {
    await page.setViewportSize({width: 375, height: 700});
    await page.goto(server.url);
    await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
    await expectFits(page, "models-info-toggle");
    await expectFits(page, "settings-toggle");
    const panel = await openModelsInfo(page);
    await expectFits(page, "models-info");
    await expectFits(page, "models-refresh");
    await expectFits(page, "models-dir-copy");
    // The folder's path wraps inside the popover, never cut or scrolled.
    expect(await panel.getByTestId("models-dir").evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect((await page.locator(".header").boundingBox())!.height, "the header keeps its height").toBeLessThanOrEqual(53);
    await page.screenshot({path: join(shots, "models-folder-375.png")});
});
