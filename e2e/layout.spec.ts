import {mkdirSync} from "node:fs";
import {join} from "node:path";
import type {Page} from "@playwright/test";
import {expect, test} from "./fixtures.js";
import {repoRoot} from "./server.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});

/** The page fits its window: nothing scrolls sideways, and the element is wholly inside the window. */
async function expectFits(page: Page, testId: string): Promise<void> {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, "the page scrolls sideways").toBeLessThanOrEqual(0);
    const box = (await page.getByTestId(testId).boundingBox())!;
    const width = page.viewportSize()!.width;
    expect(box.x, `${testId} starts inside the window`).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `${testId} ends inside the window`).toBeLessThanOrEqual(width);
}

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
});
