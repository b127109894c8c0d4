import {mkdirSync} from "node:fs";
import {join} from "node:path";
import type {Page} from "@playwright/test";
import {expect, test} from "./fixtures.js";
import {expectFits} from "./layoutChecks.js";
import {repoRoot, startServer, type RunningServer} from "./server.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});

test.describe("layout in small windows", () => {
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

        await page.getByTestId("menu-button").click();
        await expect(page.getByTestId("sidebar")).toBeVisible();
        await expectFits(page, "sidebar");
        await page.screenshot({path: join(shots, "layout-700-drawer.png")});
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
            const [select, load, health, toggle] = [
                await box("model-select"),
                await box("model-load"),
                await box("health-indicator"),
                await box("settings-toggle")
            ];
            expect(select.width, "the model picker shows the model's name").toBeGreaterThanOrEqual(80);
            expect(load.x, "Load comes after the picker").toBeGreaterThanOrEqual(select.x + select.width);
            expect(health.x, "the health dot is not under Load").toBeGreaterThanOrEqual(load.x + load.width);
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
            const app = {authorization: `Bearer ${decodeURIComponent(new URL(own.url).hash.replace(/^#key=/, ""))}`};
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
            await expectFits(page, "dashboard-scope");
            await expectFits(page, "dashboard-refresh");
            await expectFits(page, "chart-ttft");
            await expect(page.getByTestId("dashboard-scope").locator("option", {hasText: "reception-desk-tablet-app (API key) · user:key/"})).toHaveCount(1);
            await expect(page.getByTestId("chart-ttft").getByRole("img", {name: /^Time to first token, queue wait left out\. With reuse/})).toBeVisible();
            for (const chart of ["chart-over-time", "chart-cache-size", "chart-top-donors"])
                expect(await page.getByTestId(chart).getByRole("img").getAttribute("aria-label"), chart).toMatch(/\d/);
            await page.screenshot({path: join(shots, "layout-375-dashboard.png")});
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
