import {mkdirSync} from "node:fs";
import {join} from "node:path";
import type {Page} from "@playwright/test";
import {expect, test} from "./fixtures.js";
import {appKey, repoRoot, type RunningServer} from "./server.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});

const lily = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball.";
const tom = "Once upon a time, there was a little boy named Tom. He loved to play outside in the park with his red ball.";
const max = "Once upon a time, there was a big dog named Max. It liked to run in the garden with its blue stick.";

async function addProfile(page: Page, name: string): Promise<void> {
    await page.getByTestId("profile-add").click();
    await page.getByTestId("profile-name-input").fill(name);
    await page.getByTestId("profile-save").click();
    await expect(page.getByTestId("profile-select")).toHaveValue(name);
}

async function ask(page: Page, text: string): Promise<void> {
    await page.getByTestId("nav-chat").click();
    await page.getByTestId("composer-input").fill(text);
    await page.getByTestId("composer-input").press("Enter");
    await expect(page.getByTestId("message-user").last()).toHaveText(text);
    await expect(page.getByTestId("message-assistant").last().getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
    await expect(page.getByTestId("send-button")).toBeVisible();
}

/** A prompt's KV is written to the cache just after its answer: wait until the cache holds `count` entries. */
async function cacheHolds(page: Page, server: RunningServer, count: number): Promise<void> {
    const key = appKey(server);
    await expect
        .poll(
            async () => {
                const response = await page.request.get(`${server.origin}/kvshare/cache/stats`, {headers: {authorization: `Bearer ${key}`}});
                return ((await response.json()) as {cache: {entries: number}}).cache.entries;
            },
            {timeout: 30_000}
        )
        .toBeGreaterThanOrEqual(count);
}

test.describe("KV sharing in the served UI", () => {
    test("a paraphrase from a second profile reuses KV; a raised threshold makes a miss; stop; reload keeps the chats", async ({page, server}, testInfo) => {
        const problems: string[] = [];
        page.on("pageerror", (e) => problems.push(e.message));
        // The one expected failure: the refused threshold (checked below). The browser also logs it.
        page.on("console", (m) => {
            if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
        });
        page.on("response", (r) => {
            const refusedThreshold = r.status() === 400 && r.request().method() === "PATCH" && r.url().endsWith("/kvshare/settings");
            if (r.status() >= 400 && !refusedThreshold) problems.push(`${r.status()} ${r.request().method()} ${r.url()}`);
        });
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");

        // 0. The admin starts from an empty cache (other specs share this server).
        await page.getByTestId("nav-admin").click();
        await page.getByTestId("clear-cache").click();
        await page.getByTestId("clear-cache-confirm").click();
        await expect(page.getByTestId("clear-cache-result")).toContainText("Removed");

        // 1. A nurse asks; the first answer is a miss (nothing cached yet).
        await addProfile(page, "Nurse");
        await ask(page, lily);
        const first = page.getByTestId("message-assistant").last();
        await expect(first.getByTestId("hit-strip")).toHaveAttribute("data-donor", "no");
        await expect(first.getByTestId("answer-stats")).toContainText("tok/s");
        await expect(first.getByTestId("answer-stats")).toContainText("TTFT");
        await cacheHolds(page, server, 1);

        // 2. A student asks a paraphrase in a chat of their own: the nurse's prompt is the donor.
        await addProfile(page, "Student");
        await expect(page.getByTestId("chat-empty")).toBeVisible();
        await ask(page, tom);
        const answer = page.getByTestId("message-assistant").last();
        const strip = answer.getByTestId("hit-strip");
        await expect(strip).toHaveAttribute("data-hit", "donor");
        await expect(strip).toHaveAttribute("data-mode", "semantic");
        expect(Number(await strip.getByTestId("hit-reused").getAttribute("data-reused"))).toBeGreaterThan(0);
        // The strip is one line until its tokens are asked for; the nurse's words are hers, not the student's to read.
        await expect(strip.getByTestId("hit-prompt-tokens")).toHaveCount(0);
        await strip.getByRole("button", {name: "Show tokens"}).click();
        await expect(strip.getByTestId("hit-donor-hidden")).toBeVisible();
        await expect(strip.getByTestId("hit-donor")).not.toContainText("Lily");
        await expect(strip.getByTestId("hit-prompt-tokens").locator(".tok-reused").first()).toBeVisible();
        await expect(strip.getByTestId("hit-prompt-tokens").locator(".tok-new").first()).toBeVisible();
        const similarityText = (await strip.getByTestId("hit-similarity").textContent()) ?? "";
        const similarity = Number(/similarity ([\d.]+)/.exec(similarityText)?.[1]);
        expect(similarity).toBeGreaterThan(0);
        expect(similarity).toBeLessThan(1);
        testInfo.annotations.push({type: "donor similarity (Lily → Tom)", description: String(similarity)});
        await strip.scrollIntoViewIfNeeded();
        await page.screenshot({path: join(shots, "chat-hit-strip.png")});

        // 3. The admin raises the threshold above that similarity (an out-of-range value is refused first).
        await page.getByTestId("nav-admin").click();
        await page.getByTestId("setting-threshold").fill("1.5");
        await page.getByTestId("settings-save").click();
        await expect(page.getByTestId("settings-error")).toContainText("between 0 and 1");
        const raised = Math.min(0.99, Math.ceil((similarity + 0.05) * 100) / 100);
        await page.getByTestId("setting-threshold").fill(String(raised));
        await page.getByTestId("settings-save").click();
        await expect(page.getByTestId("settings-saved")).toBeVisible();
        await expect(page.getByTestId("settings-error")).toHaveCount(0);
        await page.setViewportSize({width: 1280, height: 1240});
        await page.screenshot({path: join(shots, "admin-settings.png")});
        await page.setViewportSize({width: 1280, height: 800});

        // 4. A third profile asks another variant: no donor is similar enough now, a miss.
        await addProfile(page, "Teacher");
        await ask(page, max);
        const missStrip = page.getByTestId("message-assistant").last().getByTestId("hit-strip");
        await expect(missStrip).toHaveAttribute("data-donor", "no");
        await expect(missStrip.getByTestId("hit-donor")).toHaveCount(0);
        await expect(missStrip.getByTestId("hit-kind")).not.toHaveText("Shared-cache hit");

        // 5. The dashboard shows the hit, tokens saved and the donor.
        await page.getByTestId("nav-dashboard").click();
        await expect.poll(async () => Number(await page.getByTestId("card-tokens-saved").locator(".stat-card-value").textContent())).toBeGreaterThan(0);
        await expect(page.getByTestId("card-hit-rate").locator(".stat-card-value")).not.toHaveText("0%");
        await expect(page.getByTestId("chart-over-time").locator("canvas")).toBeVisible();
        await expect(page.getByTestId("chart-ttft").locator("canvas")).toBeVisible();
        await expect(page.getByTestId("chart-cache-size").locator("canvas")).toBeVisible();
        await expect(page.getByTestId("chart-top-donors").locator("canvas")).toBeVisible();
        expect(Number(await page.getByTestId("cache-entries").textContent())).toBeGreaterThanOrEqual(1);
        // The page scrolls inside the app: a taller window shows every chart in the picture.
        await page.setViewportSize({width: 1280, height: 1240});
        await page.screenshot({path: join(shots, "dashboard.png")});
        await page.setViewportSize({width: 1280, height: 800});

        // 6. Stop a long answer while it streams.
        await page.getByTestId("nav-chat").click();
        await page.getByTestId("settings-toggle").click();
        await page.getByTestId("max-tokens-input").fill("1500");
        await page.getByTestId("settings-toggle").click();
        await page.getByTestId("composer-input").fill("Tell me a very long story about a dragon");
        await page.getByTestId("composer-input").press("Enter");
        const streaming = page.getByTestId("message-assistant").last();
        await expect(streaming).toHaveAttribute("data-streaming", "true");
        await expect(streaming.locator(".markdown")).not.toBeEmpty({timeout: 30_000});
        await page.getByTestId("stop-button").click();
        const stopped = page.getByTestId("message-assistant").last();
        await expect(stopped.getByTestId("aborted-tag")).toBeVisible();
        await expect(page.getByTestId("send-button")).toBeVisible();

        // 7. Reload without the browser's copy: the chats come back from the server's database.
        await page.evaluate(() => localStorage.removeItem("kvshare.conversations"));
        await page.reload();
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(page.getByTestId("profile-select")).toHaveValue("Teacher");
        // A fresh page opens on a new chat; the saved one is listed and opens with its messages.
        await page.getByTestId("conversation-item").filter({hasText: "Once upon a time, there was a big dog"}).getByRole("button").first().click();
        await expect(page.getByTestId("message-user").first()).toHaveText(max);
        await expect(page.getByTestId("aborted-tag")).toBeVisible();
        await page.getByTestId("profile-select").selectOption("Student");
        await expect(page.getByTestId("message-user").first()).toHaveText(tom);
        await expect(page.getByTestId("message-assistant").first().getByTestId("hit-strip")).toHaveAttribute("data-hit", "donor");
        await expect(page.getByTestId("conversation-item").filter({hasText: "there was a little boy named"})).toHaveCount(1);
        expect(problems).toEqual([]);
    });
});
