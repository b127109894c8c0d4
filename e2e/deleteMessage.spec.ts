import {expect, test} from "./fixtures.js";
import {answered, askInNewChat, listedChat, open, send, setMaxTokens} from "./chatSteps.js";
import {storedChat} from "./storedChats.js";

test.describe("deleting a message", () => {
    test("asks first, takes the message out of the chat, and another browser that read the chat before never brings it back", async ({browser, server}) => {
        const contextA = await browser.newContext();
        const contextB = await browser.newContext();
        try {
            const a = await contextA.newPage();
            await open(a, server.url);
            await askInNewChat(a, "Tom lost his kite", 12);
            await send(a, "Where did it go");
            await answered(a, 1);
            await expect.poll(async () => (await storedChat(server, "Tom lost his kite"))?.messages.length).toBe(4);

            const b = await contextB.newPage();
            await open(b, server.url);
            await listedChat(b, "Tom lost his kite").click();
            await expect(b.getByTestId("message-user")).toHaveText(["Tom lost his kite", "Where did it go"]);
            await expect(b.getByTestId("message-assistant")).toHaveCount(2);

            // Cancelled: nothing happens, and the focus is back on the button that asked.
            const firstAnswer = a.getByTestId("message-assistant").first();
            await firstAnswer.getByTestId("delete-answer").click();
            await expect(firstAnswer.getByTestId("delete-answer-confirm")).toBeFocused();
            await a.keyboard.press("Escape");
            await expect(firstAnswer.getByTestId("delete-answer")).toBeFocused();
            await expect(a.getByTestId("message-assistant")).toHaveCount(2);

            // A deletes the first answer and the second question: gone there, and from the server's copy.
            const deletedAnswer = (await storedChat(server, "Tom lost his kite"))!.messages[1]!;
            await firstAnswer.getByTestId("delete-answer").click();
            await firstAnswer.getByTestId("delete-answer-confirm").click();
            await expect(a.getByTestId("message-assistant")).toHaveCount(1);
            // The button pressed is gone: the focus goes to the message box, and a screen reader hears what happened.
            await expect(a.getByTestId("composer-input")).toBeFocused();
            await expect(a.getByTestId("announcer")).toHaveText("Answer deleted");
            await a.getByTestId("message-user").nth(1).hover();
            await a.getByRole("button", {name: "Delete question"}).nth(1).click();
            await a.getByTestId("delete-question-confirm").click();
            await expect(a.getByTestId("message-user")).toHaveText(["Tom lost his kite"]);
            await expect.poll(async () => (await storedChat(server, "Tom lost his kite"))?.messages.length).toBe(2);
            expect((await storedChat(server, "Tom lost his kite"))!.messages.map((m) => m.id)).not.toContain(deletedAnswer.id);

            // B, still showing both, asks again: its turn is kept, the deleted messages are not, and B drops them too.
            await setMaxTokens(b, 12);
            await send(b, "Did Tom find it");
            // Its save of the question comes back saying what was deleted: B drops it while the answer is written.
            await expect(b.getByTestId("message-user")).toHaveText(["Tom lost his kite", "Did Tom find it"]);
            await answered(b, 1);
            await expect(b.getByTestId("message-assistant")).toHaveCount(2);
            await expect
                .poll(async () => (await storedChat(server, "Tom lost his kite"))?.messages.map((m) => m.role))
                .toEqual(["user", "assistant", "user", "assistant"]);
            const stored = (await storedChat(server, "Tom lost his kite"))!;
            expect(stored.messages[0]!.content).toBe("Tom lost his kite");
            expect(stored.messages[2]!.content).toBe("Did Tom find it");

            // Both reloaded show the same chat.
            for (const page of [a, b]) {
                await page.reload();
                await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
                await listedChat(page, "Tom lost his kite").click();
                await expect(page.getByTestId("message-user")).toHaveText(["Tom lost his kite", "Did Tom find it"]);
                await expect(page.getByTestId("message-assistant")).toHaveCount(2);
            }
        } finally {
            await contextA.close();
            await contextB.close();
        }
    });
});
