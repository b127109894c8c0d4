import {mkdirSync} from "node:fs";
import {join} from "node:path";
import type {Page} from "@playwright/test";
import {expect, test} from "./fixtures.js";
import {answered, askInNewChat, open, send, setMaxTokens, slowLink} from "./chatSteps.js";
import {textContrast} from "./layoutChecks.js";
import {appKey, repoRoot, startServer} from "./server.js";
import {storedChat} from "./storedChats.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});

/** How far the chat is scrolled from its newest message, in px. */
async function gapBelow(page: Page): Promise<number> {
    return page.getByTestId("chat-view").evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
}

test.describe("chat controls in the served UI", () => {
    test("Stop stops the answer and leaves the draft in the message box", async ({page, server}) => {
        await open(page, server.url);
        await page.getByTestId("new-chat").click();
        // As long as the context allows: the answer streams for seconds, on a busy machine too.
        await setMaxTokens(page, 2000);
        await send(page, "Once upon a time there was a little fox");
        await expect(page.getByTestId("stop-button")).toBeVisible();
        await page.getByTestId("composer-input").fill("My next question, still drafting");
        await page.getByTestId("stop-button").click();

        await expect(page.getByTestId("aborted-tag")).toBeVisible();
        await expect(page.getByTestId("send-button")).toBeVisible();
        await expect(page.getByTestId("composer-input")).toHaveValue("My next question, still drafting");
        await expect(page.getByTestId("composer-input")).toBeFocused();
        // Nothing was sent after the stop, not even a moment later.
        await page.waitForTimeout(500);
        await expect(page.getByTestId("message-user")).toHaveText(["Once upon a time there was a little fox"]);
        await expect(page.getByTestId("message-assistant")).toHaveCount(1);
        // The stopped answer says how much it had written.
        await expect(page.getByTestId("answer-stats")).toContainText("generated");
    });

    test("an answer cut at the max tokens goes on with Continue, in place, and the server's copy holds the whole of it", async ({page, server}) => {
        await open(page, server.url);
        await askInNewChat(page, "Once upon a time there was a sleepy old bear", 6);
        const answer = page.getByTestId("message-assistant");
        await expect(answer.getByTestId("answer-stats")).toHaveAttribute("data-finish", "length");
        const cut = ((await answer.locator(".answer").textContent()) ?? "").trim();
        expect(cut.length).toBeGreaterThan(0);
        // Only the last answer, cut short, offers it.
        await answer.getByRole("button", {name: "Continue the answer"}).click();
        // The same answer grows (the stats shown until the click are the cut answer's: wait for more text, then its end).
        await expect.poll(async () => ((await answer.locator(".answer").textContent()) ?? "").trim().length, {timeout: 60_000}).toBeGreaterThan(cut.length);
        await expect(answer).toHaveAttribute("data-streaming", "false", {timeout: 60_000});
        await expect(answer.getByTestId("answer-stats")).toBeVisible();
        await expect(page.getByTestId("message-assistant")).toHaveCount(1);
        const whole = ((await answer.locator(".answer").textContent()) ?? "").trim();
        expect(whole.startsWith(cut)).toBe(true);
        expect(whole.length).toBeGreaterThan(cut.length);
        await expect(page.getByTestId("version-switcher")).toHaveCount(0);
        // The page draws the answer's markdown (its line breaks as paragraphs): compared without white space.
        const bare = (text: string | undefined) => text?.replace(/\s+/g, "");
        await expect
            .poll(async () => bare((await storedChat(server, "Once upon a time there was a sleepy old bear"))?.messages.at(-1)?.content))
            .toBe(bare(whole));
    });

    test("an answer edited by hand is kept as a new version, marked edited, and the model continues from what was written", async ({page, server}) => {
        await open(page, server.url);
        await askInNewChat(page, "Tell me about the little red hen", 8);
        const answer = page.getByTestId("message-assistant");
        await answer.getByRole("button", {name: "Edit answer"}).click();
        await page.getByTestId("edit-input").fill("The little red hen found a");
        await page.getByTestId("edit-input").press("Control+Enter");
        await expect(answer.locator(".answer")).toHaveText("The little red hen found a");
        await expect(answer.getByTestId("edited-tag")).toBeVisible();
        await expect(page.getByTestId("version-label")).toHaveText("2/2");
        await answer.getByRole("button", {name: "Continue the answer"}).click();
        await expect.poll(async () => ((await answer.locator(".answer").textContent()) ?? "").trim().length, {timeout: 60_000}).toBeGreaterThan(26);
        await expect(answer).toHaveAttribute("data-streaming", "false", {timeout: 60_000});
        expect(((await answer.locator(".answer").textContent()) ?? "").trim()).toMatch(/^The little red hen found a\S*\s*\S/);
        await expect
            .poll(async () => (await storedChat(server, "Tell me about the little red hen"))?.messages.at(-1)?.content ?? "")
            .toMatch(/^The little red hen found a./);
    });

    test("answers two chats at once: each streams on its own, with its own Stop, and the list marks the one still answered", async ({page}) => {
        // A server of its own, whose context lets the long answer outlast the others on a fast machine.
        const server = await startServer({contextSize: 8192});
        try {
            await open(page, server.url);
            await page.getByTestId("new-chat").click();
            // long enough to be written still once the other chat is answered, however fast the machine
            await setMaxTokens(page, 8000);
            await send(page, "Once upon a time there was a tiny owl");
            await expect(page.getByTestId("stop-button")).toBeVisible();

            // Another chat asks and is answered while the owl's answer is still written.
            await page.getByTestId("new-chat").click();
            await expect(page.getByTestId("stop-button")).toHaveCount(0);
            await setMaxTokens(page, 24);
            await send(page, "A question for this chat");
            await answered(page, 0);
            await expect(page.getByTestId("message-user")).toHaveText(["A question for this chat"]);
            const owl = page.getByTestId("conversation-item").filter({hasText: "tiny owl"});
            await expect(owl.getByRole("img", {name: "Answering:"})).toBeVisible();
            await page.screenshot({path: join(shots, "chat-two-answers-at-once.png")});

            // The owl's Stop is in its chat, and stops that answer only.
            await owl.locator(".conversation-select").click();
            await expect(page.getByTestId("message-user")).toHaveText(["Once upon a time there was a tiny owl"]);
            await page.getByTestId("stop-button").click();
            await expect(page.getByTestId("aborted-tag")).toBeVisible();
            await expect(owl.getByRole("img", {name: "Answering:"})).toHaveCount(0);
            await expect.poll(async () => (await storedChat(server, "Once upon a time there was a tiny owl"))?.messages.length).toBe(2);
            await expect.poll(async () => (await storedChat(server, "A question for this chat"))?.messages.length).toBe(2);
        } finally {
            await server.stop();
        }
    });

    test("each chat opens at its newest message, and an answer is followed unless scrolled up in its chat", async ({page, server}) => {
        await page.setViewportSize({width: 1280, height: 520});
        await open(page, server.url);
        for (const animal of ["fox", "frog"]) {
            await page.getByTestId("new-chat").click();
            await setMaxTokens(page, 160);
            for (let i = 0; i < 3; i++) {
                await send(page, `Once upon a time there was a ${animal} number ${i}`);
                await answered(page, i);
            }
        }
        // Scrolled to the top of the frog chat…
        await page.getByTestId("chat-view").evaluate((el) => (el.scrollTop = 0));
        await expect(page.getByTestId("jump-to-latest")).toBeVisible();

        // …the fox chat still opens at its newest message.
        await page.getByTestId("conversation-item").filter({hasText: "fox number 0"}).locator(".conversation-select").click();
        await expect(page.getByTestId("message-user").first()).toHaveText("Once upon a time there was a fox number 0");
        expect(await gapBelow(page)).toBeLessThan(2);
        await expect(page.getByTestId("jump-to-latest")).toHaveCount(0);

        // A new answer here is followed as it streams, to its end.
        await setMaxTokens(page, 400);
        const restoreLink = await slowLink(page);
        await send(page, "Tell me what the fox did next");
        const streaming = page.locator('[data-testid="message-assistant"][data-streaming="true"]');
        await expect(streaming).toHaveCount(1);
        let followed = 0;
        while ((await streaming.count()) > 0) {
            if ((await gapBelow(page)) < 2) followed++;
            await page.waitForTimeout(50);
        }
        await answered(page, 3);
        await restoreLink();
        expect(await gapBelow(page)).toBeLessThan(2);
        expect(followed).toBeGreaterThan(0);

        // Scrolled up: the view stays put, and "Jump to latest" brings it back.
        await page.getByTestId("chat-view").evaluate((el) => (el.scrollTop = 0));
        await page.getByTestId("jump-to-latest").click();
        expect(await gapBelow(page)).toBeLessThan(2);
        await expect(page.getByTestId("jump-to-latest")).toHaveCount(0);
    });

    test("a long chat goes on past the model's context, and says what was left out", async ({page, server}) => {
        await open(page, server.url);
        await page.getByTestId("new-chat").click();
        const questions = ["What did the frog do", "Where did the frog go", "Who did the frog meet", "What did they eat", "Why was the frog sad"];
        let asked = 0;
        // Default settings (256 tokens an answer): the chat outgrows the test model's context after a few turns.
        while (asked < 14 && (await page.getByTestId("context-note").count()) === 0) {
            await send(page, `${questions[asked % questions.length]} ${asked}`);
            await answered(page, asked);
            await expect(page.getByTestId("message-assistant").nth(asked).getByTestId("answer-error")).toHaveCount(0);
            asked++;
        }
        await expect(page.getByTestId("context-note").first()).toHaveText(/^\d+ earlier messages? (was|were) left out to fit the model's context\.$/);
        // And it goes on.
        await send(page, "And then?");
        await answered(page, asked);
        await expect(page.getByTestId("answer-error")).toHaveCount(0);
    });

    test("a message far too big is refused at the message box, with the reason", async ({page, server}) => {
        await open(page, server.url);
        await page.getByTestId("new-chat").click();
        await page.getByTestId("composer-input").fill("x".repeat(1_000_001));
        await expect(page.getByTestId("message-too-big")).toContainText("1,000,001 characters");
        await page.getByTestId("composer-input").press("Enter");
        await expect(page.getByTestId("send-button")).toBeDisabled();
        await expect(page.getByTestId("chat-empty")).toBeVisible();
        await page.getByTestId("composer-input").fill("Once upon a time");
        await expect(page.getByTestId("message-too-big")).toHaveCount(0);
    });

    test("a pasted text the estimate lets through is counted by the model's tokenizer and refused where it cannot fit", async ({page, server}) => {
        await open(page, server.url);
        const models = (await (await page.request.get(`${server.origin}/v1/models`, {headers: {authorization: `Bearer ${appKey(server)}`}})).json()) as {
            data: Array<{meta?: {context_size?: number}}>;
        };
        const contextSize = models.data[0]!.meta!.context_size!;
        // About 1.2 × the context at 4 characters a token (the estimate lets it through); this model's small
        // vocabulary reads it as far more tokens.
        const sentence = "Once upon a time, there was a little girl named Lily who loved her red ball. ";
        const text = sentence.repeat(Math.ceil((contextSize * 4 * 1.2) / sentence.length));
        await page.getByTestId("new-chat").click();
        await page.getByTestId("composer-input").fill(text);
        // Sent at once (before the count is back), it waits for the count: nothing goes to the server.
        await page.getByTestId("composer-input").press("Enter");
        await expect(page.getByTestId("message-too-big")).toContainText(
            new RegExp(`^This message is [\\d,]+ tokens with the chat's system prompt; the model's context holds ${contextSize.toLocaleString("en-US")}\\.`)
        );
        await expect(page.getByTestId("send-button")).toBeDisabled();
        await page.getByTestId("composer-input").press("Enter");
        await expect(page.getByTestId("chat-empty")).toBeVisible();
        // Cut to a tenth: it fits, and nothing is said.
        await page.getByTestId("composer-input").fill(text.slice(0, Math.floor(text.length / 10)));
        await expect(page.getByTestId("message-too-big")).toHaveCount(0);
        await expect(page.getByTestId("send-button")).toBeEnabled();
    });

    test("message actions are readable (WCAG AA) and the messages are a live log", async ({page, server}) => {
        await open(page, server.url);
        await askInNewChat(page, "A readable answer", 16);
        await expect(page.getByRole("log")).toHaveAttribute("aria-live", "polite");
        await expect(page.locator('.conversation-select[aria-current="true"]')).toHaveText("A readable answer");
        const contrast = await textContrast(page.getByTestId("copy-button"));
        expect(contrast).toBeGreaterThanOrEqual(4.5);
    });

    test("a chat can be renamed, found by its text, brought back after a deletion and pinned, on the server too", async ({page, browser, server}) => {
        await open(page, server.url);
        await askInNewChat(page, "A whale called Xylophonia", 16);
        const item = page.getByTestId("conversation-item").filter({hasText: "Xylophonia"});
        await item.locator(".conversation-select").dblclick();
        await page.getByTestId("rename-input").fill("The whale story");
        await page.getByTestId("rename-input").press("Enter");
        const renamed = page.getByTestId("conversation-item").filter({hasText: "The whale story"});
        await expect(renamed).toHaveCount(1);

        await page.getByTestId("chat-search").fill("xylophonia WHALE");
        await expect(page.getByTestId("conversation-item")).toHaveCount(1);
        await page.getByTestId("chat-search").fill("");

        await renamed.hover();
        await renamed.getByTestId("delete-conversation").click();
        await expect(renamed).toHaveCount(0);
        await page.getByTestId("undo-delete-button").click();
        await expect(renamed).toHaveCount(1);

        // Pinned: listed on top under its own heading, the button saying it is pressed.
        await page.getByTestId("new-chat").click();
        await send(page, "A later chat about a fox");
        await answered(page, 0);
        await renamed.hover();
        await renamed.getByTestId("pin-conversation").click();
        await expect(renamed.getByTestId("pin-conversation")).toHaveAttribute("aria-pressed", "true");
        const pinnedGroup = page.locator("section.chat-group", {has: page.getByRole("heading", {name: "Pinned"})});
        await expect(pinnedGroup.locator(".conversation-select")).toHaveText(["The whale story"]);
        await expect(page.locator("section.chat-group").first()).toHaveAttribute("aria-labelledby", "chat-group-Pinned");
        await page.getByRole("complementary", {name: "Chats and pages"}).screenshot({path: join(shots, "pinned-chat.png")});

        // Another browser, with nothing stored, finds it on the server, under its new name.
        const fresh = await browser.newContext();
        try {
            const other = await fresh.newPage();
            await open(other, server.url);
            const pinnedThere = other.locator("section.chat-group", {has: other.getByRole("heading", {name: "Pinned"})});
            await pinnedThere.getByTestId("conversation-item").filter({hasText: "The whale story"}).locator(".conversation-select").click();
            await expect(other.getByTestId("message-user")).toHaveText(["A whale called Xylophonia"]);
        } finally {
            await fresh.close();
        }
    });

    test("a chat deleted while it is answered, then brought back, holds the answer as far as it was written, marked stopped", async ({page, server}) => {
        await open(page, server.url);
        await page.getByTestId("new-chat").click();
        await setMaxTokens(page, 2000);
        await send(page, "Once upon a time there was a brave little mouse");
        const streaming = page.locator('[data-testid="message-assistant"][data-streaming="true"] .markdown');
        await expect(streaming).not.toBeEmpty();
        const item = page.getByTestId("conversation-item").filter({hasText: "brave little mouse"});
        await item.hover();
        await item.getByTestId("delete-conversation").click();
        await expect(item).toHaveCount(0);
        await page.getByTestId("undo-delete-button").click();
        await expect(item).toHaveCount(1);
        await expect(page.getByTestId("message-user")).toHaveText(["Once upon a time there was a brave little mouse"]);
        await expect(page.getByTestId("message-assistant")).toHaveCount(1);
        await expect(page.getByTestId("message-assistant").locator(".markdown")).not.toBeEmpty();
        await expect(page.getByTestId("aborted-tag")).toBeVisible();
        await expect(page.getByTestId("unanswered")).toHaveCount(0);
        // So on the server too, and after a reload.
        await expect.poll(async () => (await storedChat(server, "Once upon a time there was a brave little mouse"))?.messages.length).toBe(2);
        await page.reload();
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await item.locator(".conversation-select").click();
        await expect(page.getByTestId("aborted-tag")).toBeVisible();
    });

    test("text a number field cannot read is flagged there, and the last valid value stays in force, on the server too", async ({page, server}) => {
        await open(page, server.url);
        await askInNewChat(page, "A cat named Quillby", 16);
        await page.getByTestId("settings-toggle").click();
        const temperature = page.getByTestId("temperature-input");
        await temperature.fill("0.2");
        await expect.poll(async () => (await storedChat(server, "A cat named Quillby"))?.params.temperature).toBe(0.2);
        // Emptied, then `1e` typed (as on the way to `1e-1`): `1` is taken, `1e` is not a number yet.
        await temperature.fill("");
        await temperature.pressSequentially("1e");
        await expect(temperature).toHaveAttribute("aria-invalid", "true");
        await expect(page.getByTestId("temperature-input-error")).toHaveText("Not a number. 1 is used.");
        await page.waitForTimeout(1000);
        expect((await storedChat(server, "A cat named Quillby"))?.params.temperature).toBe(1);
        // Text that is no number at all typed into an empty field is flagged as well; emptied, the default is used.
        await temperature.fill("");
        await temperature.pressSequentially("e");
        await expect(page.getByTestId("temperature-input-error")).toHaveText("Not a number. The default is used.");
        await temperature.press("Backspace");
        await expect(page.getByTestId("temperature-input-error")).toHaveCount(0);
        await temperature.pressSequentially("0.5");
        await expect(temperature).toHaveAttribute("aria-invalid", "false");
        await expect.poll(async () => (await storedChat(server, "A cat named Quillby"))?.params.temperature).toBe(0.5);
    });

    test("an edited question keeps the old version: switch between them, after a reload and in another browser too", async ({page, browser, server}) => {
        await open(page, server.url);
        await askInNewChat(page, "Lily had a red ball", 16);
        // The text as toHaveText reads it (textContent: no line breaks added between paragraphs).
        const firstAnswer = (await page.getByTestId("message-assistant").locator(".answer").textContent()) ?? "";

        await page.getByTestId("message-user").hover();
        await page.getByTestId("edit-button").click();
        await expect(page.getByTestId("edit-keeps")).toContainText("is kept");
        await page.getByTestId("edit-input").fill("Tom had a blue kite");
        await page.getByTestId("edit-send").click();
        await answered(page, 0);
        await expect(page.getByTestId("message-user")).toHaveText(["Tom had a blue kite"]);
        await expect(page.getByTestId("version-label")).toHaveText("2/2");
        await expect(page.getByTestId("version-switcher")).toContainText("Version 2 of 2");

        await page.getByRole("button", {name: "Previous version"}).click();
        await expect(page.getByTestId("message-user")).toHaveText(["Lily had a red ball"]);
        await expect(page.getByTestId("message-assistant").locator(".answer")).toHaveText(firstAnswer);
        await expect(page.getByTestId("version-label")).toHaveText("1/2");
        await page.screenshot({path: join(shots, "chat-versions.png")});

        // The versions, and which one is shown, survive a reload…
        await page.reload();
        await expect(page.getByTestId("message-user")).toHaveText(["Lily had a red ball"]);
        await expect(page.getByTestId("version-label")).toHaveText("1/2");
        await page.getByRole("button", {name: "Next version"}).click();
        await expect(page.getByTestId("message-user")).toHaveText(["Tom had a blue kite"]);
        await expect(page.getByTestId("message-assistant")).toHaveCount(1);

        // …and are on the server: a browser with nothing stored sees both.
        const fresh = await browser.newContext();
        try {
            const other = await fresh.newPage();
            await open(other, server.url);
            await other.getByTestId("conversation-item").filter({hasText: "Tom had a blue kite"}).locator(".conversation-select").click();
            await expect(other.getByTestId("message-user")).toHaveText(["Tom had a blue kite"]);
            await expect(other.getByTestId("version-label")).toHaveText("2/2");
            await other.getByRole("button", {name: "Previous version"}).click();
            await expect(other.getByTestId("message-assistant").locator(".answer")).toHaveText(firstAnswer);
        } finally {
            await fresh.close();
        }
    });

    test("a server that stops mid-answer is reported in plain words", async ({page}) => {
        // Its own server: this one is killed.
        const own = await startServer();
        try {
            await open(page, own.url);
            await setMaxTokens(page, 2000);
            await send(page, "Once upon a time there was a sleepy bear");
            await expect(page.locator('[data-testid="message-assistant"][data-streaming="true"] .markdown')).not.toBeEmpty();
            await own.kill("SIGKILL");
            await expect(page.getByTestId("answer-error")).toContainText("The KVShare server is not reachable (stopped, or moved to another address)");
        } finally {
            await own.stop();
        }
    });
});
