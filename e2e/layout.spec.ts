import {copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import type {Page} from "@playwright/test";
import {expect, test} from "./fixtures.js";
import {expectFits, textContrast} from "./layoutChecks.js";
import {appKey, repoRoot, startServer, testModelPath, type RunningServer} from "./server.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});

test.describe("layout in small windows", () => {
    for (const colorScheme of ["light", "dark"] as const)
        test(`${colorScheme}: filled buttons (Save, a confirmed deletion) keep their white text readable`, async ({page, server}) => {
            await page.emulateMedia({colorScheme});
            await page.goto(server.url);
            await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
            await page.getByTestId("nav-admin").click();
            const topK = page.getByTestId("setting-topk");
            const before = await topK.inputValue();
            await topK.fill(String(Number(before) + 1));
            const save = page.getByTestId("settings-save");
            await expect(save).toBeEnabled();
            expect(await textContrast(save), "Save").toBeGreaterThanOrEqual(4.5);
            await page.getByTestId("clear-cache").click();
            expect(await textContrast(page.getByTestId("clear-cache-confirm")), "Clear cache's confirmation").toBeGreaterThanOrEqual(4.5);
            await page.getByTestId("clear-cache-confirm").press("Escape");
            await page.getByRole("button", {name: "Reset"}).click();
            await expect(topK).toHaveValue(before);
        });

    test("800×600: the header fits, and the chat settings float over the chat", async ({page, server}) => {
        await page.setViewportSize({width: 800, height: 600});
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(page.getByTestId("sidebar")).toBeVisible();
        await expect(page.getByTestId("menu-button")).toBeHidden();
        await expectFits(page, "settings-toggle");
        expect((await page.locator(".header-title").boundingBox())!.width, "the chat's title keeps some room").toBeGreaterThan(40);
        await page.getByTestId("settings-toggle").click();
        await expect(page.getByTestId("chat-settings")).toBeVisible();
        await expectFits(page, "chat-settings");
        // The panel lies over the chat, below the header: the header's controls stay clear and usable.
        const header = (await page.locator(".header").boundingBox())!;
        expect((await page.getByTestId("chat-settings").boundingBox())!.y).toBeGreaterThanOrEqual(header.y + header.height - 1);
        await page.screenshot({path: join(shots, "layout-800-settings.png")});
        await page.getByTestId("settings-toggle").click();
        await expect(page.getByTestId("chat-settings")).toBeHidden();
    });

    test("700×600: the sidebar is a drawer behind the menu button", async ({page, server}) => {
        await page.setViewportSize({width: 700, height: 600});
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await page.getByTestId("composer-input").fill("A narrow window");
        await page.getByTestId("composer-input").press("Enter");
        await expect(page.getByTestId("message-assistant").first().getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
        await expect(page.getByTestId("sidebar")).toBeHidden();
        await expectFits(page, "menu-button");
        await expectFits(page, "settings-toggle");

        const menu = page.getByRole("button", {name: "Chats and pages"});
        await expect(menu).toHaveAttribute("aria-expanded", "false");
        await menu.focus();
        await page.keyboard.press("Enter");
        await expect(page.getByTestId("sidebar")).toBeVisible();
        await expectFits(page, "sidebar");
        await page.screenshot({path: join(shots, "layout-700-drawer.png")});
        // The open drawer is a modal: the focus is in it, Tab stays in it (the page behind is inert), Esc
        // closes it and gives the focus back to the menu button.
        await expect(menu).toHaveAttribute("aria-expanded", "true");
        const drawer = page.getByRole("dialog", {name: "Chats and pages"});
        await expect(drawer).toBeFocused();
        await expect(page.locator("main")).toHaveAttribute("inert", "");
        // (Past its last control the focus may leave for the browser's own controls, the body here, never the page.)
        for (let i = 0; i < 16; i++) {
            await page.keyboard.press("Tab");
            const where = await page.evaluate(() =>
                document.activeElement?.closest("#sidebar") ? "drawer" : document.activeElement === document.body ? "browser" : "page"
            );
            expect(where, "Tab stays in the drawer").not.toBe("page");
        }
        await page.keyboard.press("Escape");
        await expect(page.getByTestId("sidebar")).toBeHidden();
        await expect(menu).toBeFocused();
        await expect(menu).toHaveAttribute("aria-expanded", "false");
        await expect(page.locator("main")).not.toHaveAttribute("inert");
        await menu.click();
        // A new chat, then back to the first one: each pick closes the drawer.
        await page.getByTestId("new-chat").click();
        await expect(page.getByTestId("sidebar")).toBeHidden();
        await expect(page.getByTestId("chat-empty")).toBeVisible();
        await page.getByTestId("menu-button").click();
        await page.getByTestId("conversation-item").filter({hasText: "A narrow window"}).click();
        await expect(page.getByTestId("sidebar")).toBeHidden();
        await expect(page.getByTestId("message-user")).toHaveText(["A narrow window"]);
        // The other pages, and Esc or a click beside the drawer closes it.
        await page.getByTestId("menu-button").click();
        await page.keyboard.press("Escape");
        await expect(page.getByTestId("sidebar")).toBeHidden();
        await page.getByTestId("menu-button").click();
        await page.getByTestId("drawer-backdrop").click({position: {x: 650, y: 300}});
        await expect(page.getByTestId("sidebar")).toBeHidden();
        await page.getByTestId("menu-button").click();
        await page.getByTestId("nav-dashboard").click();
        await expect(page.getByTestId("sidebar")).toBeHidden();
        await expect(page.locator(".header-title")).toHaveText("Cache dashboard");
        await expectFits(page, "menu-button");
    });

    for (const [width, height] of [
        [400, 800],
        [375, 700]
    ] as const) {
        test(`${width}×${height}: the header's controls keep their size and do not overlap`, async ({page, server}) => {
            await page.setViewportSize({width, height});
            await page.goto(server.url);
            await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
            await page.getByTestId("composer-input").fill("Once upon a time there was a very long title for a narrow header");
            await page.getByTestId("composer-input").press("Enter");
            await expect(page.getByTestId("message-assistant").first().getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
            const box = async (testId: string) => (await page.getByTestId(testId).boundingBox())!;
            // Nothing to load (the model picked is the one served): Load gives its room to the chat's title.
            await expect(page.getByTestId("model-load")).toBeHidden();
            const [select, models, health, toggle, title] = [
                await box("model-select"),
                await box("models-info-toggle"),
                await box("health-indicator"),
                await box("settings-toggle"),
                (await page.locator(".header-title").boundingBox())!
            ];
            expect(select.width, "the model picker shows the model's name").toBeGreaterThanOrEqual(80);
            expect(title.width, "the chat's title shows more than its first letters").toBeGreaterThanOrEqual(width < 390 ? 60 : 80);
            expect(models.x, "the models folder's button comes after the picker").toBeGreaterThanOrEqual(select.x + select.width);
            expect(health.x, "the health dot is not under the models folder's button").toBeGreaterThanOrEqual(models.x + models.width);
            expect(toggle.x, "Settings is not under the health dot").toBeGreaterThanOrEqual(health.x + health.width);
            await expectFits(page, "settings-toggle");
            await expectFits(page, "menu-button");
            await page.locator(".header").screenshot({path: join(shots, `layout-${width}-header.png`)});
        });
    }

    test.describe("375×700: the dashboard and the admin settings", () => {
        // Its own server: issued keys and a per-user scope policy must not leak into the other specs' server.
        let own: RunningServer;
        test.beforeAll(async () => {
            own = await startServer();
            const app = {authorization: `Bearer ${appKey(own)}`};
            const json = (data: unknown) => ({method: "POST", headers: {...app, "content-type": "application/json"}, body: JSON.stringify(data)});
            await fetch(`${own.origin}/kvshare/settings`, {...json({sharing: {scopePolicy: "user"}}), method: "PATCH"});
            const model = ((await (await fetch(`${own.origin}/v1/models`, {headers: app})).json()) as {data: Array<{id: string}>}).data[0]!.id;
            // Two keys with long names: their scopes (named by the key) make the widest scope choices.
            for (const name of ["reception-desk-tablet-app", "night-shift-nurse-station"]) {
                const {key} = (await (await fetch(`${own.origin}/kvshare/keys`, json({name}))).json()) as {key: string};
                for (const content of ["Once upon a time there was a little girl named Lily", "Once upon a time there was a little girl named Sue"]) {
                    const answer = await fetch(`${own.origin}/v1/chat/completions`, {
                        ...json({model, max_tokens: 4, messages: [{role: "user", content}]}),
                        headers: {authorization: `Bearer ${key}`, "content-type": "application/json"}
                    });
                    expect(answer.status).toBe(200);
                }
            }
        });
        test.afterAll(async () => await own?.stop());

        test.beforeEach(async ({page}) => {
            await page.setViewportSize({width: 375, height: 700});
            await page.goto(own.url);
            await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        });
        const open = async (page: Page, view: "dashboard" | "admin"): Promise<void> => {
            await page.getByTestId("menu-button").click();
            await page.getByTestId(`nav-${view}`).click();
        };

        test("the dashboard fits, its scopes named by the key, its charts named by their numbers", async ({page}) => {
            await open(page, "dashboard");
            await expect(page.getByTestId("card-requests").locator(".stat-card-value")).toHaveText("4");
            // What runs now, from the server's health (nothing runs: every sequence free).
            await expect(page.getByTestId("card-now").locator(".stat-card-value")).toHaveText("0 answering");
            await expect(page.getByTestId("card-now").locator(".stat-card-hint")).toHaveText(/^0 waiting · \d+ of \d+ sequences free · all scopes$/);
            await expectFits(page, "dashboard-scope");
            await expectFits(page, "dashboard-refresh");
            await expectFits(page, "chart-ttft");
            await expect(page.getByTestId("dashboard-scope").locator("option", {hasText: "reception-desk-tablet-app (API key) · user:key/"})).toHaveCount(1);
            await expect(page.getByTestId("chart-ttft").getByRole("img", {name: /^Time to first token, queue wait left out\. With reuse/})).toBeVisible();
            for (const chart of ["chart-over-time", "chart-cache-size", "chart-top-donors"])
                expect(await page.getByTestId(chart).getByRole("img").getAttribute("aria-label"), chart).toMatch(/\d/);
            await page.screenshot({path: join(shots, "layout-375-dashboard.png")});
            await page.getByTestId("chart-top-donors").screenshot({path: join(shots, "layout-375-top-donors.png")});
            await page.getByTestId("chart-ttft").screenshot({path: join(shots, "layout-375-ttft.png")});
        });

        test("the admin settings fit: what-if choices and charts, the keys with their actions; a revocation by keyboard", async ({page}) => {
            await open(page, "admin");
            await expect(page.getByTestId("whatif-threshold-chart").locator("canvas")).toBeVisible();
            await expect(page.getByTestId("key-row")).toHaveCount(2);
            for (const testId of [
                "whatif-scope",
                "whatif-policy",
                "whatif-threshold-chart",
                "whatif-budget-chart",
                "setting-recompute-policy",
                "settings-save"
            ])
                await expectFits(page, testId);
            await expectFits(page, "key-revoke", 0);
            await expectFits(page, "key-revoke", 1);

            // Enter on Revoke… puts the focus on the confirmation (the button pressed is gone); Esc cancels back to it.
            const revoke = page.getByRole("button", {name: "Revoke night-shift-nurse-station…"});
            await revoke.focus();
            await page.keyboard.press("Enter");
            const confirm = page.getByRole("button", {name: "Revoke night-shift-nurse-station", exact: true});
            await expect(confirm).toBeFocused();
            await expectFits(page, "key-revoke-confirm");
            await page.getByTestId("api-keys").screenshot({path: join(shots, "layout-375-keys.png")});
            await page.keyboard.press("Escape");
            await expect(page.getByTestId("key-revoke-confirm")).toHaveCount(0);
            await expect(revoke).toBeFocused();
            await expect(page.getByTestId("key-row")).toHaveCount(2);
        });
    });
});

test.describe("a model that fails to load, in a phone-sized window", () => {
    // Its own server, with a model in its models folder that turns out to be no model: the shared one must keep its model.
    let own: RunningServer;
    let folder: string;
    let broken: string;
    test.beforeAll(async () => {
        folder = mkdtempSync(join(tmpdir(), "kvshare-broken-model-"));
        broken = join(folder, "Broken-Model-7B-Instruct-Q4_K_M.gguf");
        copyFileSync(testModelPath(), broken);
        own = await startServer({modelsFolder: [testModelPath(), broken]});
    });
    test.afterAll(async () => {
        await own?.stop();
        rmSync(folder, {recursive: true, force: true});
    });

    test("375×700: the error wraps on a line under the header, says what to do, and the header fits", async ({page}) => {
        await page.setViewportSize({width: 375, height: 700});
        await page.goto(own.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        const select = page.getByTestId("model-select");
        const option = select.locator("option", {hasText: "Broken-Model"});
        await expect(option).toBeEnabled();
        // Listed as a model, then overwritten by something else (a download restarted) before Load is pressed:
        // the server refuses it, the model before it serving on.
        writeFileSync(broken, Buffer.alloc(4096, 7));
        await select.selectOption((await option.getAttribute("value"))!);
        await page.getByTestId("model-load").click();

        await expect(page.getByTestId("model-error")).toContainText("Broken-Model-7B-Instruct-Q4_K_M");
        await expectFits(page, "settings-toggle");
        await expectFits(page, "menu-button");
        const problem = page.getByTestId("model-load-problem");
        await expect(problem).toHaveAttribute("role", "alert");
        // What to do, beside what went wrong; the model before it still answers.
        await expect(problem.getByTestId("model-error-advice")).toHaveText("The model in use goes on answering. Choose another model file and press Load.");
        await expectFits(page, "model-load-problem");
        expect((await page.locator(".header").boundingBox())!.height, "the header keeps its height").toBeLessThanOrEqual(53);
        expect((await select.boundingBox())!.width, "the model picker keeps its width").toBeGreaterThanOrEqual(80);
        // All of the message is on screen (not cut, not in a tooltip only).
        const text = problem.locator("p");
        expect(await text.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight)).toBe(true);
        await page.screenshot({path: join(shots, "layout-375-model-error.png")});

        await problem.getByRole("button", {name: "Dismiss the model error"}).click();
        await expect(problem).toHaveCount(0);
        // The list read again says so too: the file is offered as one that cannot be served, with why.
        await page.getByTestId("models-info-toggle").click();
        await page.getByTestId("models-refresh").click();
        await expect(option).toHaveText(/^Broken-Model-7B-Instruct-Q4_K_M · 4.0 KiB · cannot be served: it is not a GGUF file$/);
        await expect(option).toBeDisabled();
    });
});

test("375×700 on a touch screen: the actions shown on hover elsewhere are shown, and named for what they act on", async ({browser, server}) => {
    const phone = await browser.newContext({viewport: {width: 375, height: 700}, hasTouch: true, isMobile: true});
    try {
        const page = await phone.newPage();
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        expect(await page.evaluate(() => matchMedia("(hover: none)").matches), "a screen with no hover").toBe(true);
        await page.getByTestId("composer-input").fill("A question asked on a phone");
        await page.getByTestId("composer-input").press("Enter");
        await expect(page.getByTestId("message-assistant").first().getByTestId("answer-stats")).toBeVisible({timeout: 60_000});

        const edit = page.getByTestId("edit-button");
        expect(await edit.evaluate((el) => getComputedStyle(el).opacity), "Edit is shown without hover").toBe("1");
        await expect(edit).toHaveAccessibleName("Edit question");
        const remove = page.getByTestId("delete-question");
        expect(await remove.evaluate((el) => getComputedStyle(el).opacity), "Delete is shown without hover").toBe("1");
        await expect(remove).toHaveAccessibleName("Delete question");
        await expect(page.getByRole("button", {name: "Copy answer"})).toBeVisible();
        await expect(page.getByRole("button", {name: "Regenerate answer"})).toBeVisible();
        // Who said what, for screen readers.
        await expect(page.getByRole("heading", {name: "You said:"})).toHaveCount(1);
        await expect(page.getByRole("heading", {name: "Assistant said:"})).toHaveCount(1);

        await page.getByTestId("menu-button").tap();
        const rename = page.getByTestId("conversation-item").filter({hasText: "A question asked on a phone"}).getByTestId("rename-conversation");
        expect(await rename.evaluate((el) => getComputedStyle(el).opacity), "a chat's actions are shown without hover").toBe("1");
        await page.screenshot({path: join(shots, "layout-375-touch.png")});
    } finally {
        await phone.close();
    }
});

test("1280×800: hover-revealed actions show when the keyboard reaches them", async ({page, server}) => {
    await page.goto(server.url);
    await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
    await page.getByTestId("composer-input").fill("A question for the keyboard");
    await page.getByTestId("composer-input").press("Enter");
    await expect(page.getByTestId("message-assistant").first().getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
    await page.mouse.move(0, 0);
    const edit = page.getByTestId("edit-button");
    expect(await edit.evaluate((el) => getComputedStyle(el).opacity), "hidden until hovered or focused").toBe("0");
    expect(await page.getByTestId("delete-question").evaluate((el) => getComputedStyle(el).opacity), "hidden until hovered or focused").toBe("0");
    // Shift+Tab from the message box goes back through the answer's actions to the question's Edit.
    await page.getByTestId("composer-input").focus();
    for (let i = 0; i < 10 && !(await edit.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Shift+Tab");
    await expect(edit).toBeFocused();
    expect(await edit.evaluate((el) => getComputedStyle(el).opacity)).toBe("1");
});
