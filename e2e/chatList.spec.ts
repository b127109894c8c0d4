import type {Page} from "@playwright/test";
import {expect, test} from "./fixtures.js";
import {answered, askInNewChat, open, rename, send} from "./chatSteps.js";
import {storedChat} from "./storedChats.js";

/** The listed names of the chats that hold one of `names`, in the list's order (other tests' chats left out). */
async function listed(page: Page, names: readonly string[]): Promise<string[]> {
    const texts = await page.getByTestId("conversation-item").locator(".conversation-select").allTextContents();
    return texts.map((t) => t.trim()).filter((t) => names.some((n) => t.includes(n)));
}

test.describe("the chat list in the served UI", () => {
    test("a chat renamed, pinned and unpinned keeps its place by its messages' time: after a reload and in another browser too", async ({
        page,
        browser,
        server
    }) => {
        await open(page, server.url);
        await askInNewChat(page, "An owl named Quillfeather", 8);
        await askInNewChat(page, "A badger named Bramblewick", 8);
        const names = ["Bramblewick", "Owl notes"];

        // The older chat is renamed, then pinned and unpinned: each a change of the chat, none a message.
        await rename(page, "Quillfeather", "Owl notes");
        const owl = page.getByTestId("conversation-item").filter({hasText: "Owl notes"});
        for (const pinned of ["true", "false"]) {
            await owl.hover();
            await owl.getByTestId("pin-conversation").click();
            await expect(owl.getByTestId("pin-conversation")).toHaveAttribute("aria-pressed", pinned);
        }
        // Saved under its new name, unpinned again.
        const saved = async () => {
            const stored = await storedChat(server, "Owl notes");
            return stored !== undefined && stored.pinned !== true;
        };
        await expect.poll(saved, {timeout: 10_000}).toBe(true);
        await expect.poll(() => listed(page, names)).toEqual(["A badger named Bramblewick", "Owl notes"]);

        // The server's list comes newest change first; the page lists by the last message, as before the reload.
        // Checked once the page has read the server's list and drawn it (before that it shows its stored copy).
        const read = page.waitForResponse((r) => new URL(r.url()).pathname === "/kvshare/conversations" && r.request().method() === "GET");
        await page.reload();
        await (await read).finished();
        await page.evaluate(() => new Promise((drawn) => requestAnimationFrame(() => requestAnimationFrame(drawn))));
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect.poll(() => listed(page, names)).toEqual(["A badger named Bramblewick", "Owl notes"]);

        const fresh = await browser.newContext();
        try {
            const other = await fresh.newPage();
            await open(other, server.url);
            await expect.poll(() => listed(other, names)).toEqual(["A badger named Bramblewick", "Owl notes"]);
            // A new question moves it up, here as anywhere.
            await other.getByTestId("conversation-item").filter({hasText: "Owl notes"}).locator(".conversation-select").click();
            await send(other, "And then?");
            await answered(other, 1);
            await expect.poll(() => listed(other, names)).toEqual(["Owl notes", "A badger named Bramblewick"]);
        } finally {
            await fresh.close();
        }
    });
});
