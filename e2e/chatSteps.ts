import type {Page} from "@playwright/test";
import {expect} from "./fixtures.js";

/** Opens the served UI and waits for the model to be ready. */
export async function open(page: Page, url: string): Promise<void> {
    await page.goto(url);
    await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
}

/** Types a message into the open chat and sends it with Enter. */
export async function send(page: Page, text: string): Promise<void> {
    await page.getByTestId("composer-input").fill(text);
    await page.getByTestId("composer-input").press("Enter");
}

/**
 * Slows the page's downloads to 10 kB/s (Chrome's network emulation: about 40 streamed pieces a second) until the
 * returned function is called. On a fast machine a whole answer can come before the page draws a frame, and is then
 * drawn once, already ended: a test that watches an answer being written slows its link first.
 */
export async function slowLink(page: Page): Promise<() => Promise<void>> {
    const link = await page.context().newCDPSession(page);
    const limit = (downloadThroughput: number) =>
        link.send("Network.emulateNetworkConditions", {offline: false, latency: 0, downloadThroughput, uploadThroughput: -1});
    await link.send("Network.enable");
    await limit(10_000);
    return async () => {
        await limit(-1);
        await link.detach();
    };
}

/** Sets the open chat's max tokens (a long answer streams for a few seconds on the tiny model). */
export async function setMaxTokens(page: Page, value: number): Promise<void> {
    await page.getByTestId("settings-toggle").click();
    await page.getByTestId("max-tokens-input").fill(String(value));
    await page.keyboard.press("Escape");
    await expect(page.getByTestId("chat-settings")).toBeHidden();
}

/** Waits for the nth answer (0-based) to be complete. */
export async function answered(page: Page, nth: number): Promise<void> {
    await expect(page.getByTestId("message-assistant").nth(nth).getByTestId("answer-stats")).toBeVisible({timeout: 60_000});
}

/** Opens a new chat, sets its max tokens, asks `question` and waits for the whole answer. */
export async function askInNewChat(page: Page, question: string, maxTokens: number): Promise<void> {
    await page.getByTestId("new-chat").click();
    await setMaxTokens(page, maxTokens);
    await send(page, question);
    await answered(page, 0);
}

/** The sidebar's entry of the chat named `title`: what a click opens. */
export function listedChat(page: Page, title: string) {
    return page.getByTestId("conversation-item").filter({hasText: title}).locator(".conversation-select");
}

/** Renames the chat listed as `from` the way a person does: double-click its name, type, Enter. */
export async function rename(page: Page, from: string, to: string): Promise<void> {
    await page.getByTestId("conversation-item").filter({hasText: from}).locator(".conversation-select").dblclick();
    await page.getByTestId("rename-input").fill(to);
    await page.getByTestId("rename-input").press("Enter");
}

/** Sets the open chat's system prompt in its settings, then closes them. */
export async function setSystemPrompt(page: Page, text: string): Promise<void> {
    await page.getByTestId("settings-toggle").click();
    await page.getByTestId("system-prompt-input").fill(text);
    await page.keyboard.press("Escape");
    await expect(page.getByTestId("chat-settings")).toBeHidden();
}
