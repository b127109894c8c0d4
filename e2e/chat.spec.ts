import {mkdirSync} from "node:fs";
import {join} from "node:path";
import type {Page} from "@playwright/test";
import {expect, test} from "./fixtures.js";
import {send, slowLink} from "./chatSteps.js";
import {appKey, repoRoot} from "./server.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});

async function setMaxTokens(page: Page, value: number): Promise<void> {
    if (!(await page.getByTestId("chat-settings").isVisible())) await page.getByTestId("settings-toggle").click();
    await page.getByTestId("max-tokens-input").fill(String(value));
}

/** Records every distinct length the streaming answer's text had, from the page itself. */
async function watchStreamingText(page: Page): Promise<void> {
    await page.evaluate(() => {
        const seen: number[] = [];
        (window as unknown as {__lengths: number[]}).__lengths = seen;
        new MutationObserver(() => {
            const el = document.querySelector('[data-testid="message-assistant"][data-streaming="true"]');
            const length = el?.textContent?.trim().length ?? 0;
            if (length > 0 && seen.at(-1) !== length) seen.push(length);
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    });
}

async function streamedLengths(page: Page): Promise<number[]> {
    return page.evaluate(() => (window as unknown as {__lengths: number[]}).__lengths);
}

test.describe("chat in the served UI", () => {
    test("streams an answer, stops one mid-stream, and keeps working", async ({page, server}, testInfo) => {
        const consoleErrors: string[] = [];
        page.on("console", (m) => {
            if (m.type() === "error") consoleErrors.push(`${m.text()} ${m.location().url}`);
        });
        page.on("pageerror", (e) => consoleErrors.push(e.message));
        page.on("response", (r) => {
            if (r.status() >= 400 && !r.url().includes("/v1/chat/completions")) consoleErrors.push(`${r.status()} ${r.url()}`);
        });

        await page.goto(server.url);
        // The key from #key=… is kept and taken out of the address bar.
        await expect(page).not.toHaveURL(/#key=/);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(page.getByTestId("model-select").locator("option:checked")).toContainText("(current)");
        await expect(page).toHaveTitle(/KVShare/);

        // 1. A streamed answer.
        await watchStreamingText(page);
        const restoreLink = await slowLink(page);
        await send(page, "Once upon a time");
        await expect(page.getByTestId("message-user")).toHaveText("Once upon a time");
        const first = page.getByTestId("message-assistant").first();
        await expect(first.getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
        await restoreLink();
        await expect(first.locator(".markdown")).not.toBeEmpty();
        await expect(first.getByTestId("answer-stats")).toContainText("tok/s");
        await expect(first.getByTestId("answer-stats")).toContainText("TTFT");
        await expect(first.getByTestId("answer-stats")).toContainText("prompt");
        await expect(first.getByTestId("answer-stats")).toContainText("cached");
        await expect(first.getByTestId("aborted-tag")).toHaveCount(0);
        const lengths = await streamedLengths(page);
        testInfo.annotations.push({type: "streamed text lengths (answer 1)", description: lengths.join(",")});
        expect(lengths.length, "the answer's text grew while it streamed").toBeGreaterThan(1);
        await expect(page.getByTestId("conversation-item").first()).toContainText("Once upon a time");
        await page.screenshot({path: join(shots, "chat-streamed.png")});

        // 2. A long answer, stopped while it streams.
        await setMaxTokens(page, 1500);
        await watchStreamingText(page);
        await send(page, "Tell me a very long story about a dragon");
        const second = page.getByTestId("message-assistant").nth(1);
        await expect(page.getByTestId("stop-button")).toBeVisible();
        await expect(second).toHaveAttribute("data-streaming", "true");
        await expect.poll(async () => (await streamedLengths(page)).length, {timeout: 30_000}).toBeGreaterThan(1);
        await page.getByTestId("stop-button").click();
        await expect(second.getByTestId("aborted-tag")).toBeVisible();
        await expect(second).toHaveAttribute("data-streaming", "false");
        await expect(page.getByTestId("send-button")).toBeVisible();
        testInfo.annotations.push({type: "streamed text lengths (answer 2)", description: (await streamedLengths(page)).join(",")});
        await page.screenshot({path: join(shots, "chat-aborted.png")});

        // 3. The UI is usable again: a short answer completes.
        await setMaxTokens(page, 24);
        await send(page, "The end");
        const third = page.getByTestId("message-assistant").nth(2);
        await expect(third.getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
        await expect(third.getByTestId("aborted-tag")).toHaveCount(0);
        await expect(third.getByTestId("answer-error")).toHaveCount(0);
        await expect(page.getByTestId("regenerate-button")).toHaveCount(1);
        await page.screenshot({path: join(shots, "chat-final.png")});

        // The chat survives a reload (localStorage), without the key in the URL.
        await page.reload();
        await expect(page.getByTestId("message-assistant")).toHaveCount(3);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        expect(consoleErrors).toEqual([]);
    });

    test("keeps the focus in the message box, and keeps a half-written answer across a reload", async ({page, browser, server}) => {
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await page.getByTestId("new-chat").click();
        await expect(page.getByTestId("composer-input")).toBeFocused();
        await setMaxTokens(page, 1500);
        await page.keyboard.press("Escape");
        await expect(page.getByTestId("chat-settings")).toBeHidden();
        await page.getByTestId("composer-input").fill("Sam had a blue kite");
        await page.getByTestId("send-button").click();
        await expect(page.getByTestId("composer-input")).toBeFocused();
        const streaming = page.locator('[data-testid="message-assistant"][data-streaming="true"] .markdown');
        await expect(streaming).not.toBeEmpty({timeout: 30_000});

        await page.reload();
        const answer = page.getByTestId("message-assistant");
        await expect(answer).toHaveCount(1);
        await expect(answer.getByTestId("answer-error")).toContainText("Interrupted");
        await expect(answer.locator(".markdown")).not.toBeEmpty();
        await expect(page.getByTestId("regenerate-button")).toBeVisible();

        // The next page sent it to the server: a browser with nothing stored sees it too.
        const fresh = await browser.newContext();
        try {
            const other = await fresh.newPage();
            await other.goto(server.url);
            await other.getByTestId("conversation-item").filter({hasText: "Sam had a blue kite"}).click();
            await expect(other.getByTestId("message-assistant").getByTestId("answer-error")).toContainText("Interrupted");
        } finally {
            await fresh.close();
        }
    });

    test("two tabs on one chat: each takes in the other's turns, and the server keeps them all", async ({page, browser, server}) => {
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await setMaxTokens(page, 12);
        await send(page, "Two tabs first");
        await expect(page.getByTestId("message-assistant").first().getByTestId("answer-stats")).toBeVisible({timeout: 60_000});

        const other = await page.context().newPage();
        await other.goto(server.url);
        await expect(other.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await other.getByTestId("conversation-item").filter({hasText: "Two tabs first"}).click();
        await send(page, "Message from tab A");
        await expect(page.getByTestId("message-assistant").nth(1).getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
        await expect(other.getByTestId("message-user")).toHaveText(["Two tabs first", "Message from tab A"]);
        await send(other, "Message from tab B");
        await expect(other.getByTestId("message-assistant").nth(2).getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
        await expect(page.getByTestId("message-user")).toHaveText(["Two tabs first", "Message from tab A", "Message from tab B"]);

        const fresh = await browser.newContext();
        try {
            const third = await fresh.newPage();
            await third.goto(server.url);
            await third.getByTestId("conversation-item").filter({hasText: "Two tabs first"}).click();
            await expect(third.getByTestId("message-user")).toHaveText(["Two tabs first", "Message from tab A", "Message from tab B"]);
            await expect(third.getByTestId("message-assistant")).toHaveCount(3);
        } finally {
            await fresh.close();
            await other.close();
        }
    });

    test("asks for the API key when the page is opened without one", async ({page, server}) => {
        await page.goto(server.origin + "/");
        await expect(page.getByTestId("api-key-screen")).toBeVisible();
        await page.screenshot({path: join(shots, "api-key.png")});
        // A modal dialog, named by its heading: the focus starts in its labelled key field, Tab stays in it,
        // and the app behind it is inert.
        const dialog = page.getByRole("dialog", {name: "API key"});
        await expect(dialog).toHaveAttribute("aria-modal", "true");
        const field = dialog.getByLabel("Key", {exact: true});
        await expect(field).toBeFocused();
        await expect(page.locator(".app")).toHaveAttribute("inert", "");
        await field.fill("typed");
        for (const key of ["Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"]) {
            await page.keyboard.press(key);
            expect(await dialog.evaluate((el) => el.contains(document.activeElement)), `${key} stays in the dialog`).toBe(true);
        }
        await page.getByTestId("new-chat").focus();
        expect(await dialog.evaluate((el) => el.contains(document.activeElement)), "nothing behind it takes the focus").toBe(true);
        await page.getByTestId("api-key-input").fill("wrong-key");
        await page.getByTestId("api-key-save").click();
        await expect(page.getByTestId("api-key-screen")).toBeVisible();
        await page.getByTestId("api-key-input").fill(appKey(server));
        await page.getByTestId("api-key-save").click();
        await expect(page.getByTestId("api-key-screen")).toBeHidden();
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(page.locator(".app")).not.toHaveAttribute("inert");
    });

    test("while the server is not reachable, Send waits with the reason beside it and the draft kept, and comes back by itself", async ({page, server}) => {
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        // A request that fails on the way (the server stopped) is reported in plain words, not the browser's own.
        await page.route("**/v1/chat/completions", (route) => route.abort("connectionrefused"));
        await send(page, "Asked as the connection fails");
        await expect(page.getByTestId("answer-error")).toHaveText("The KVShare server is not reachable (stopped, or moved to another address)");

        // Every request fails now, as with the server stopped: the next health check says so.
        await page.route(`${server.origin}/**`, (route) => route.abort("connectionrefused"));
        await page.getByTestId("composer-input").fill("A question while the server is down");
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "error", {timeout: 15_000});
        const sendButton = page.getByTestId("send-button");
        await expect(sendButton).toBeDisabled();
        const reason = "The server is not reachable — your text is kept. Send comes back as soon as the server answers again.";
        await expect(page.getByTestId("composer-unavailable")).toHaveText(reason);
        await expect(sendButton).toHaveAccessibleDescription(reason);
        await page.getByTestId("composer-input").press("Enter");
        await expect(page.getByTestId("message-user")).toHaveCount(1);
        await expect(page.getByTestId("composer-input")).toHaveValue("A question while the server is down");
        // Asking again waits too, saying why, and an edited question is not sent.
        await expect(page.getByTestId("regenerate-button")).toBeDisabled();
        await expect(page.getByTestId("regenerate-button")).toHaveAttribute("title", reason);
        await page.getByTestId("edit-button").click();
        await expect(page.getByTestId("edit-unavailable")).toHaveText(reason);
        await expect(page.getByTestId("edit-send")).toBeDisabled();
        await page.getByTestId("edit-input").press("Escape");
        await page.screenshot({path: join(shots, "chat-server-down.png")});

        // The server answers again: Send is back without a reload, and sends the kept text.
        await page.unrouteAll();
        await expect(sendButton).toBeEnabled({timeout: 15_000});
        await expect(page.getByTestId("composer-unavailable")).toHaveCount(0);
        await expect(page.getByTestId("regenerate-button")).toBeEnabled();
        await sendButton.click();
        await expect(page.getByTestId("message-user")).toHaveCount(2);
        await expect(page.getByTestId("message-assistant").nth(1).getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
    });

    test("while an answer is written its caret follows the last word, nothing moves when it ends, and the tab is named after the chat", async ({
        page,
        server
    }) => {
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(page).toHaveTitle("KVShare");
        // Greedy: a sampled answer may end at its first tokens.
        await page.getByTestId("settings-toggle").click();
        await page.getByTestId("temperature-input").fill("0");
        await page.getByTestId("max-tokens-input").fill("120");
        await page.keyboard.press("Escape");
        await expect(page.getByTestId("chat-settings")).toBeHidden();
        // Where the question, the answer and the caret are, every frame, from the page itself.
        await page.evaluate(() => {
            const frames: Array<{streaming: boolean; question: number; answer: number; text: DOMRect | null; caret: DOMRect | null}> = [];
            (window as unknown as {__frames: typeof frames}).__frames = frames;
            const tick = (): void => {
                const answer = document.querySelector<HTMLElement>('[data-testid="message-assistant"]');
                const question = document.querySelector('[data-testid="message-user"]');
                if (answer && question)
                    frames.push({
                        streaming: answer.dataset.streaming === "true",
                        question: question.getBoundingClientRect().top,
                        answer: answer.getBoundingClientRect().top,
                        text: answer.querySelector(".markdown")?.getBoundingClientRect() ?? null,
                        caret: answer.querySelector(".caret")?.getBoundingClientRect() ?? null
                    });
                requestAnimationFrame(tick);
            };
            requestAnimationFrame(tick);
        });
        const restoreLink = await slowLink(page);
        await send(page, "Once upon a time there was a fox");
        await expect(page.getByTestId("message-assistant").getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
        await restoreLink();
        const frames = await page.evaluate(
            () =>
                (window as unknown as {__frames: Array<{streaming: boolean; question: number; answer: number; text: DOMRect | null; caret: DOMRect | null}>})
                    .__frames
        );
        const written = frames.filter((f) => f.streaming && f.caret !== null && f.text !== null);
        expect(written.length, "frames while the answer was written").toBeGreaterThan(0);
        for (const {caret, text} of written) {
            // In the text's box, on its last line: not on a line of its own below it.
            expect(caret!.bottom).toBeLessThanOrEqual(text!.bottom + 1);
            expect(caret!.top).toBeGreaterThan(text!.bottom - 2 * caret!.height);
        }
        const last = written.at(-1)!;
        const done = frames.at(-1)!;
        expect(done.streaming).toBe(false);
        expect(done.question, "the question stays put").toBeCloseTo(last.question, 0);
        expect(done.answer, "the answer stays put").toBeCloseTo(last.answer, 0);
        await expect(page).toHaveTitle("Once upon a time there was a fox — KVShare");
        await page.getByTestId("new-chat").click();
        await expect(page).toHaveTitle("KVShare");
    });
});
