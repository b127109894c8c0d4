import {dirname, join} from "node:path";
import {expect, test} from "@playwright/test";
import {startServer, testModelPath, type RunningServer} from "./server.js";

// Its own server: switching the model must not change the shared server the other specs use.
let server: RunningServer;
test.beforeAll(async () => {
    server = await startServer({modelsFolder: [join(dirname(testModelPath()), "TinyStories-656K-Q8_0.gguf")]});
});
test.afterAll(async () => {
    await server?.stop();
});

test("the header's model picker switches to another model with a progress bar", async ({page}) => {
    await page.goto(server.url);
    const select = page.getByTestId("model-select");
    // The served model is named once: in the picker.
    await expect(select.locator("option:checked")).toHaveText(/^stories260K · .* \(current\)$/);
    await expect(page.getByTestId("model-name")).toHaveCount(0);
    await expect(select.locator("option")).toHaveText([/^stories260K · .* \(current\)$/, /^TinyStories-656K-Q8_0 · .*llama/]);
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

    await expect(select.locator("option:checked")).toHaveText(/TinyStories-656K-Q8_0 .*\(current\)/);
    await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
    expect(await page.evaluate(() => (window as unknown as {__sawProgress: boolean}).__sawProgress)).toBe(true);
    await expect(page.getByTestId("model-progress")).toHaveCount(0);
    await expect(select.locator("option:checked")).toHaveText(/TinyStories-656K-Q8_0 .*\(current\)/);
    await expect(page.getByTestId("model-error")).toHaveCount(0);
});
