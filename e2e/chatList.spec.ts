import type {Page} from "@playwright/test";
import {expect, test} from "./fixtures.js";
import {answered, askInNewChat, open, rename, send} from "./chatSteps.js";
import type {ConversationRecord} from "../shared/admin.js";
import {DEFAULT_PROFILE} from "../renderer/src/lib/types.js";
import {appApi} from "./server.js";
import {deleteStoredChats, everyStoredChat, storedChat, storedChats} from "./storedChats.js";

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

        // The page lists by the last message as the server does, after a reload as before it.
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

    test("a chat imported into a long list is opened and shown, however far down its messages' time puts it", async ({page, server}) => {
        await open(page, server.url);
        const now = Date.now();
        const chat = (title: string, at: number) => ({
            title,
            createdAt: at - 1000,
            messages: [
                {role: "user", content: `${title}?`, createdAt: at},
                {role: "assistant", content: "Yes.", createdAt: at + 1}
            ]
        });
        // The file's first chat is the one opened; its messages are years old, so it is listed below the other 40.
        const conversations = [
            chat("Seeded old letter", Date.UTC(2021, 0, 5)),
            ...Array.from({length: 40}, (_, i) => chat(`Seeded chat ${i}`, now - 60_000 - i * 1000))
        ];
        const file = {format: "kvshare-chats", version: 1, exportedAt: new Date(now).toISOString(), conversations};
        const seeded = async () => (await storedChats(server, "Seeded")).filter((c) => c.title.startsWith("Seeded"));
        try {
            await page
                .getByTestId("import-chats-file")
                .setInputFiles({name: "chats.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(file))});
            await expect(page.getByTestId("import-chats-said")).toHaveText("41 chats added.");
            const old = page.getByTestId("conversation-item").filter({hasText: "Seeded old letter"});
            await expect(old).toHaveAttribute("data-active", "true");
            // The list is longer than the window, the opened chat last of it, and scrolled into sight.
            await expect(old).toBeInViewport();
            await expect(page.getByTestId("conversation-item").filter({hasText: "Seeded chat 0"})).not.toBeInViewport();
            // Every one stored before they are deleted below (a save still on its way would bring one back).
            await expect.poll(async () => (await seeded()).length, {timeout: 15_000}).toBe(41);
        } finally {
            // The worker's server is shared by the specs after this one: the chats go, however far the test got.
            await deleteStoredChats(server, await seeded());
        }
    });

    test("past 200 chats, a chat renamed after others were written in comes with the older page, at the bottom, not on the first", async ({
        browser,
        server
    }) => {
        const now = Date.now();
        const put = (chat: ConversationRecord) => appApi(server, `/kvshare/conversations/${chat.id}`, {method: "PUT", json: chat});
        const chat = (n: number, title: string, at: number): ConversationRecord => ({
            id: `paged-${n}`,
            title,
            profile: DEFAULT_PROFILE,
            systemPrompt: "",
            params: {},
            createdAt: at - 1000,
            updatedAt: now - n,
            messages: [
                {id: `paged-${n}-q`, role: "user", content: `${title}?`, createdAt: at},
                {id: `paged-${n}-a`, role: "assistant", content: "Yes.", createdAt: at + 1}
            ]
        });
        // 205 chats written in an hour ago and before, and one a year older than all of them, stored as a browser
        // stores them (over the API: no browser of this test saves anything but what it is told to).
        const oldest = chat(205, "Paged oldest", now - 365 * 86_400_000);
        const paged = () => everyStoredChat(server, "Paged");
        const fresh = await browser.newContext();
        try {
            for (let n = 0; n < 205; n++) expect((await put(chat(n, `Paged chat ${n}`, now - 3_600_000 - n * 1000))).status).toBe(200);
            expect((await put(oldest)).status).toBe(200);
            // Renamed now (in another browser, say): its sync version is the newest of all, its last message the oldest.
            const renamed = {...oldest, title: "Paged oldest, renamed", updatedAt: now + 1000, baseUpdatedAt: oldest.updatedAt};
            expect((await put(renamed)).status).toBe(200);

            // A browser that has none of them reads the first 200 by last message: the renamed chat is not among them.
            const other = await fresh.newPage();
            await open(other, server.url);
            const items = other.getByTestId("conversation-item");
            await expect(other.getByTestId("load-older-chats")).toBeVisible();
            await expect(items.filter({hasText: "Paged chat 0"})).toHaveCount(1);
            const firstPage = await items.locator(".conversation-select").allTextContents();
            expect(firstPage.filter((t) => t.includes("Paged oldest"))).toEqual([]);
            // The older page comes below everything listed, the renamed chat last.
            await other.getByTestId("load-older-chats").click();
            await expect(items.filter({hasText: "Paged oldest, renamed"})).toHaveCount(1);
            const titles = (await items.locator(".conversation-select").allTextContents()).map((t) => t.trim()).filter((t) => t.startsWith("Paged"));
            expect(titles).toEqual([...Array.from({length: 205}, (_, i) => `Paged chat ${i}`), "Paged oldest, renamed"]);
        } finally {
            await fresh.close();
            await deleteStoredChats(server, await paged());
        }
    });
});
