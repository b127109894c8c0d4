import {readFile} from "node:fs/promises";
import {join} from "node:path";
import {expect, test} from "./fixtures.js";
import {answered, open, send} from "./chatSteps.js";
import {repoRoot, startServer, type RunningServer} from "./server.js";

// A server of its own: every chat the app key has is downloaded, and the shared server holds other specs' chats.
let own: RunningServer;
test.beforeAll(async () => {
    own = await startServer();
});
test.afterAll(async () => await own?.stop());

test("a chat downloads as Markdown and JSON from its settings, every chat as one JSON file from the sidebar, which imports back", async ({page}) => {
    const server = own;
    await open(page, server.url);
    await send(page, "Once upon a time there was a red ball");
    await answered(page, 0);

    await page.getByTestId("settings-toggle").click();
    const [markdown] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-chat-markdown").click()]);
    expect(markdown.suggestedFilename()).toBe("Once-upon-a-time-there-was-a-red-ball.md");
    const text = await readFile(await markdown.path(), "utf8");
    expect(text).toContain("# Once upon a time there was a red ball");
    expect(text).toContain("**You:**\n\nOnce upon a time there was a red ball");

    const [json] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-chat-json").click()]);
    const one = JSON.parse(await readFile(await json.path(), "utf8")) as {
        format: string;
        conversations: Array<{messages: Array<{role: string; content: string}>}>;
    };
    expect(one.format).toBe("kvshare-chats");
    expect(one.conversations).toHaveLength(1);
    expect(one.conversations[0]!.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    // The answer as written (its Markdown, not the page's rendering of it), in both files.
    const answer = one.conversations[0]!.messages[1]!.content;
    expect(answer.length).toBeGreaterThan(0);
    expect(text).toContain(`**Assistant:**\n\n${answer}`);
    await page.keyboard.press("Escape");

    // A second chat: the sidebar's download holds both.
    await page.getByTestId("new-chat").click();
    await send(page, "The little dog was sad");
    await answered(page, 0);
    const [all] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-all-chats").click()]);
    expect(all.suggestedFilename()).toMatch(/^kvshare-chats-\d{4}-\d{2}-\d{2}\.json$/);
    const every = JSON.parse(await readFile(await all.path(), "utf8")) as {conversations: Array<{title: string}>};
    expect(every.conversations.map((c) => c.title).sort()).toEqual(["Once upon a time there was a red ball", "The little dog was sad"]);

    // Read back in (another browser, another server): each chat added as a new one, kept on the server.
    await page.getByTestId("import-chats-file").setInputFiles(await all.path());
    await expect(page.getByTestId("import-chats-said")).toHaveText("2 chats added.");
    await page.getByTestId("sidebar").screenshot({path: join(repoRoot, "e2e/screenshots/chats-imported.png")});
    await expect(page.getByTestId("conversation-item").filter({hasText: "The little dog was sad"})).toHaveCount(2);
    await page.getByTestId("import-chats-file").setInputFiles({name: "notes.json", mimeType: "application/json", buffer: Buffer.from('{"notes": []}')});
    await expect(page.getByTestId("import-chats-said")).toContainText("not a file of chats this app downloaded");
    await page.reload();
    await expect(page.getByTestId("conversation-item").filter({hasText: "The little dog was sad"})).toHaveCount(2);
    await expect(page.getByTestId("conversation-item").filter({hasText: "Once upon a time there was a red ball"})).toHaveCount(2);
});
