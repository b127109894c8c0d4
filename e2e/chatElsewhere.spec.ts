import type {Page} from "@playwright/test";
import {expect, test} from "./fixtures.js";
import {answered, askInNewChat, listedChat, open, rename, send, setMaxTokens, setSystemPrompt} from "./chatSteps.js";
import {startServer} from "./server.js";
import {storedChat, storedChats} from "./storedChats.js";

async function edit(page: Page, text: string): Promise<void> {
    await page.getByTestId("message-user").first().hover();
    await page.getByTestId("edit-button").first().click();
    await page.getByTestId("edit-input").fill(text);
    await page.getByTestId("edit-send").click();
}

test.describe("a chat open in other tabs and browsers", () => {
    test("while one tab answers a chat, another tab of the browser waits to switch its versions, edit or send; the answer stays with its question", async ({
        page,
        server
    }) => {
        await open(page, server.url);
        await askInNewChat(page, "Lily had a red ball", 16);
        // Another tab of the same browser (the same storage), on that chat.
        const other = await page.context().newPage();
        await open(other, server.url);
        await listedChat(other, "Lily had a red ball").click();
        await expect(other.getByTestId("message-user")).toHaveText(["Lily had a red ball"]);

        // The question is edited in the first tab (version 2/2), and gets a long answer.
        await setMaxTokens(page, 2000);
        await edit(page, "Tom had a blue kite");
        await expect(page.getByTestId("stop-button")).toBeVisible();
        await expect(other.getByTestId("message-user")).toHaveText(["Tom had a blue kite"]);
        await expect(other.getByTestId("answer-in-other-tab")).toContainText("This chat is being answered in another tab");
        await expect(other.getByRole("button", {name: "Previous version"})).toBeDisabled();
        await expect(other.getByTestId("edit-button")).toHaveCount(0);
        await other.getByTestId("composer-input").fill("What then?");
        await expect(other.getByTestId("send-button")).toBeDisabled();

        // The answer ends (stopped here): it is the edited question's, and that tab may go on.
        await page.getByTestId("stop-button").click();
        await expect(page.getByTestId("aborted-tag")).toBeVisible();
        await expect(page.getByTestId("message-user")).toHaveText(["Tom had a blue kite"]);
        await expect(page.getByTestId("message-assistant")).toHaveCount(1);
        await expect(other.getByTestId("answer-in-other-tab")).toHaveCount(0);
        await expect(other.getByTestId("message-assistant")).toHaveCount(1);
        await other.getByRole("button", {name: "Previous version"}).click();
        await expect(other.getByTestId("message-user")).toHaveText(["Lily had a red ball"]);
        await expect(other.getByTestId("message-assistant")).toHaveCount(1);
        await expect(other.getByTestId("send-button")).toBeEnabled();
        await other.close();
    });

    test("tabs answering at the same time never lock their own chats, and each lock goes the moment its answer is kept", async ({page}) => {
        // A server of its own, whose context lets the long answer outlast the others on a fast machine.
        const server = await startServer({contextSize: 8192});
        try {
            // Three tabs of one browser, each on a chat of its own.
            const long = page;
            const tabs = [long];
            const questions = ["Once upon a time a slow snail", "Once upon a time a quick hare", "Once upon a time a small wren"];
            for (const [i, question] of questions.entries()) {
                const tab = i === 0 ? long : await page.context().newPage();
                if (i > 0) tabs.push(tab);
                await open(tab, server.url);
                await tab.getByTestId("new-chat").click();
                await setMaxTokens(tab, 24);
                await send(tab, question);
                await answered(tab, 0);
            }
            const [, watcher, third] = tabs as [Page, Page, Page];

            // All three answer at once: one long answer, two short ones that end first.
            // long enough to be written still once the two others are answered, however fast the machine
            await setMaxTokens(long, 8000);
            await send(long, "And then what happened?");
            for (const tab of [watcher, third]) await send(tab, "And then what happened?");
            await expect(long.getByTestId("stop-button")).toBeVisible();
            for (const tab of [watcher, third]) await answered(tab, 1);
            // Its own answer is no other tab's: it keeps its Stop, and says nothing of another tab.
            await expect(long.getByTestId("stop-button")).toBeVisible();
            await expect(long.getByTestId("answer-in-other-tab")).toHaveCount(0);
            // Another tab on that chat waits for it.
            await listedChat(watcher, questions[0]!).click();
            await expect(watcher.getByTestId("answer-in-other-tab")).toBeVisible();
            await expect(watcher.getByTestId("send-button")).toBeDisabled();

            // The first tab is behind the two opened since, and a page behind others takes no click (its hit test finds only
            // <html>): it is brought to the front first.
            await long.bringToFront();
            await long.getByTestId("stop-button").click();
            await expect(long.getByTestId("aborted-tag")).toBeVisible();
            // At once, in every tab (a lock left to go stale would stay for many seconds).
            for (const tab of tabs) await expect(tab.getByTestId("answer-in-other-tab")).toHaveCount(0, {timeout: 3000});
            await expect(long.getByTestId("regenerate-button")).not.toHaveCount(0);
            await long.getByTestId("composer-input").fill("And then?");
            await expect(long.getByTestId("send-button")).toBeEnabled();
            await expect(watcher.getByTestId("message-assistant")).toHaveCount(2);
            await watcher.getByTestId("composer-input").fill("What then?");
            await expect(watcher.getByTestId("send-button")).toBeEnabled();
            await watcher.close();
            await third.close();
        } finally {
            await server.stop();
        }
    });

    test("a reloaded tab opens the chat it showed, not the one another tab opened since; a new tab opens the one shown last", async ({page, server}) => {
        await open(page, server.url);
        for (const question of ["Pip the puppy dug a hole", "Rex the robot found a key"]) {
            await page.getByTestId("new-chat").click();
            await setMaxTokens(page, 16);
            await send(page, question);
            await answered(page, 0);
        }
        await listedChat(page, "Pip the puppy dug a hole").click();
        await expect(page.getByTestId("message-user")).toHaveText(["Pip the puppy dug a hole"]);
        const other = await page.context().newPage();
        await open(other, server.url);
        await listedChat(other, "Rex the robot found a key").click();
        await expect(other.getByTestId("message-user")).toHaveText(["Rex the robot found a key"]);

        await page.reload();
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(page.getByTestId("message-user")).toHaveText(["Pip the puppy dug a hole"]);
        await other.reload();
        await expect(other.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(other.getByTestId("message-user")).toHaveText(["Rex the robot found a key"]);

        // A tab opened now has no chat of its own yet: it opens the one the tabs showed last.
        await listedChat(other, "Pip the puppy dug a hole").click();
        await listedChat(other, "Rex the robot found a key").click();
        const fresh = await page.context().newPage();
        await open(fresh, server.url);
        await expect(fresh.getByTestId("message-user")).toHaveText(["Rex the robot found a key"]);
        await other.close();
        await fresh.close();
    });

    test("a version made while the server could not be reached is kept, as this window's copy, though another browser saved the chat since", async ({
        browser,
        server
    }) => {
        const contextA = await browser.newContext();
        const contextB = await browser.newContext();
        try {
            const a = await contextA.newPage();
            await open(a, server.url);
            await askInNewChat(a, "Anna had a green hat", 16);
            await expect.poll(async () => (await storedChats(server)).some((c) => c.title === "Anna had a green hat")).toBe(true);

            const b = await contextB.newPage();
            await open(b, server.url);
            await listedChat(b, "Anna had a green hat").click();
            await expect(b.getByTestId("message-user")).toHaveText(["Anna had a green hat"]);

            // A's saves do not reach the server (as when it is stopped); A edits the question, then is closed.
            await a.route("**/kvshare/conversations/**", (route) => route.abort());
            await edit(a, "Ben had a yellow boat");
            await answered(a, 0);
            await expect(a.getByText(/^Not saved to the server/)).toBeVisible();
            await a.close();

            // B adds a turn, saved.
            await setMaxTokens(b, 16);
            await send(b, "Where did she go");
            await answered(b, 1);
            await expect.poll(async () => (await storedChats(server)).find((c) => c.title === "Anna had a green hat")?.messages.length).toBe(4);

            // A opens again: its edit is kept beside B's turn, and saved.
            const again = await contextA.newPage();
            await open(again, server.url);
            await expect(listedChat(again, "Ben had a yellow boat (this window's copy)")).toHaveCount(1);
            await expect(again.getByText(/was changed in another window meanwhile/)).toBeVisible();
            await listedChat(again, "Ben had a yellow boat (this window's copy)").click();
            await expect(again.getByTestId("message-user")).toHaveText(["Ben had a yellow boat"]);
            await listedChat(again, "Anna had a green hat").click();
            await expect(again.getByTestId("message-user")).toHaveText(["Anna had a green hat", "Where did she go"]);
            await expect
                .poll(async () => (await storedChats(server)).find((c) => c.title === "Ben had a yellow boat (this window's copy)")?.messages[0]?.content)
                .toBe("Ben had a yellow boat");
        } finally {
            await contextA.close();
            await contextB.close();
        }
    });

    test("a chat renamed in one browser and given a system prompt in another keeps both; a name given in both is the later one, shown in both", async ({
        browser,
        server
    }) => {
        const contextA = await browser.newContext();
        const contextB = await browser.newContext();
        try {
            const a = await contextA.newPage();
            await open(a, server.url);
            await askInNewChat(a, "Mia found a shell", 16);
            await expect.poll(async () => (await storedChat(server, "Mia found a shell"))?.messages.length).toBe(2);
            const b = await contextB.newPage();
            await open(b, server.url);
            await listedChat(b, "Mia found a shell").click();
            await expect(b.getByTestId("message-user")).toHaveText(["Mia found a shell"]);

            // A names the chat; B, which read it before that, gives it a system prompt.
            await rename(a, "Mia found a shell", "The shell");
            await expect.poll(async () => (await storedChat(server, "The shell")) != null).toBe(true);
            await setSystemPrompt(b, "Answer in rhyme.");
            await expect.poll(async () => (await storedChat(server, "The shell"))?.systemPrompt).toBe("Answer in rhyme.");
            // B shows A's name as soon as the server answers its save.
            await expect(listedChat(b, "The shell")).toHaveCount(1);

            // Both reloaded: both changes are there, in both.
            for (const page of [a, b]) {
                await page.reload();
                await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
                await listedChat(page, "The shell").click();
                await expect(page.getByTestId("message-user")).toHaveText(["Mia found a shell"]);
                await page.getByTestId("settings-toggle").click();
                await expect(page.getByTestId("system-prompt-input")).toHaveValue("Answer in rhyme.");
                await page.keyboard.press("Escape");
            }

            // Both name it: B's name, saved later, is kept, and A shows it once it is looked at again.
            await rename(a, "The shell", "Named in A");
            await expect.poll(async () => (await storedChat(server, "Named in A")) != null).toBe(true);
            await rename(b, "The shell", "Named in B");
            await expect.poll(async () => (await storedChat(server, "Named in B"))?.systemPrompt).toBe("Answer in rhyme.");
            await a.evaluate(() => window.dispatchEvent(new Event("focus")));
            await expect(listedChat(a, "Named in B")).toHaveCount(1);
            await expect(listedChat(a, "Named in A")).toHaveCount(0);
            expect((await storedChats(server)).filter((c) => c.messages[0]?.content === "Mia found a shell").map((c) => c.title)).toEqual(["Named in B"]);
        } finally {
            await contextA.close();
            await contextB.close();
        }
    });
});
