import {readFile} from "node:fs/promises";
import {join} from "node:path";
import type {Page, Response} from "@playwright/test";
import {answered, send} from "./chatSteps.js";
import {expect, test} from "./fixtures.js";
import {appKey, repoRoot, startServer, type RunningServer} from "./server.js";

const shots = join(repoRoot, "e2e/screenshots");

/** The /kvshare routes a page may ask with any key; every other one is the app's own key's. */
const forAnyKey = new Set(["/kvshare/whoami", "/kvshare/scope/stats"]);

/** Records every answer of the app's own routes that refused the page (403): an issued key's page must ask none. */
function refusals(page: Page): string[] {
    const refused: string[] = [];
    page.on("response", (response: Response) => {
        const {pathname} = new URL(response.url());
        if (pathname.startsWith("/kvshare/") && !forAnyKey.has(pathname) && response.status() === 403) refused.push(`${response.status()} ${pathname}`);
    });
    return refused;
}

test.describe("a student's key (issued by the teacher): the chat alone, and Sign out", () => {
    // Its own server: the issued key must not leak into the other specs' server.
    let own: RunningServer;
    let studentLink: string;
    test.beforeAll(async () => {
        own = await startServer();
        const app = {authorization: `Bearer ${appKey(own)}`, "content-type": "application/json"};
        const created = await fetch(`${own.origin}/kvshare/keys`, {
            method: "POST",
            headers: app,
            body: JSON.stringify({name: "student-ana", group: "class-4b"})
        });
        expect(created.status).toBe(200);
        const {key} = (await created.json()) as {key: string};
        studentLink = `${own.origin}/#key=${encodeURIComponent(key)}`;
    });
    test.afterAll(async () => await own?.stop());

    test("signed in as the student: no dashboard or settings, chats kept in the browser, no refusal; Sign out reaches every tab", async ({browser}) => {
        const context = await browser.newContext();
        try {
            const page = await context.newPage();
            const refused = refusals(page);
            await page.goto(studentLink);
            await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
            await expect(page.getByTestId("signed-in-as")).toContainText("Signed in as");
            await expect(page.getByTestId("signed-in-name")).toHaveText("student-ana");
            await expect(page.getByTestId("signed-in-group")).toHaveText("group class-4b");
            await expect(page.getByTestId("profile-select")).toHaveCount(0);
            await expect(page.getByTestId("nav-dashboard")).toHaveCount(0);
            await expect(page.getByTestId("nav-admin")).toHaveCount(0);
            await expect(page.getByTestId("model-name")).toHaveText(/stories260K/);
            await expect(page.getByTestId("chats-kept-intro")).toContainText("kept in this browser only: signing out forgets it");
            await expect(page.getByTestId("chats-kept")).toContainText("kept in this browser only: signing out forgets it");
            await page.screenshot({path: join(shots, "chat-only-1280.png")});

            await send(page, "Once upon a time");
            await answered(page, 0);
            await expect(page.getByTestId("message-assistant").first().getByTestId("hit-strip")).toBeVisible();
            await expect(page.getByText(/Not saved to the server/)).toHaveCount(0);
            await expect(page.getByText(/app's own key is needed/)).toHaveCount(0);

            // A dashboard address shows the chat.
            await page.goto(`${own.origin}/#/dashboard`);
            await page.reload();
            await expect(page.getByTestId("signed-in-as")).toBeVisible();
            await expect(page.getByTestId("composer-input")).toBeVisible();
            await expect(page.getByTestId("conversation-item")).toHaveCount(1);

            // Another tab of the same browser, signed in with the same key.
            const other = await context.newPage();
            const refusedThere = refusals(other);
            await other.goto(own.origin);
            await expect(other.getByTestId("signed-in-name")).toHaveText("student-ana");
            await expect(other.getByTestId("conversation-item").first()).toContainText("Once upon a time");

            await page.setViewportSize({width: 375, height: 700});
            await page.getByTestId("menu-button").click();
            await page.screenshot({path: join(shots, "chat-only-375-drawer.png")});
            await page.getByTestId("sign-out").click();
            await expect(page.getByText("Sign out of this browser? Your key and the chats kept in this browser are forgotten here.")).toBeVisible();
            await page.screenshot({path: join(shots, "chat-only-375-sign-out.png")});
            await page.getByTestId("sign-out-confirm").click();
            await expect(page.getByTestId("api-key-screen")).toBeVisible();
            // Opaque: nothing of the chats before shows behind it.
            expect(await page.getByTestId("api-key-screen").evaluate((el) => getComputedStyle(el).backgroundColor)).toMatch(/^rgb\(/);
            const kept = await page.evaluate(() => Object.keys(localStorage).filter((name) => name !== "kvshare.conversations"));
            expect(kept).toEqual([]);
            expect(await page.evaluate(() => localStorage.getItem("kvshare.conversations") ?? "")).not.toContain("Once upon a time");
            await expect(page.getByTestId("conversation-item")).not.toContainText("Once upon a time");

            // The other tab is signed out too, and writes no key back.
            await expect(other.getByTestId("api-key-screen")).toBeVisible();
            await expect(other.getByTestId("conversation-item")).not.toContainText("Once upon a time");
            await page.reload();
            await expect(page.getByTestId("api-key-screen")).toBeVisible();
            expect(await page.evaluate(() => localStorage.getItem("kvshare.apiKey"))).toBeNull();
            expect([...refused, ...refusedThere]).toEqual([]);
        } finally {
            await context.close();
        }
    });

    test("a student whose key is revoked is told so, and can download the chats kept in this browser before another key forgets them", async ({browser}) => {
        const app = {authorization: `Bearer ${appKey(own)}`, "content-type": "application/json"};
        const created = await fetch(`${own.origin}/kvshare/keys`, {method: "POST", headers: app, body: JSON.stringify({name: "student-bo"})});
        const {key, entry} = (await created.json()) as {key: string; entry: {id: string}};
        const context = await browser.newContext();
        try {
            const page = await context.newPage();
            await page.goto(`${own.origin}/#key=${encodeURIComponent(key)}`);
            await expect(page.getByTestId("signed-in-name")).toHaveText("student-bo");
            await send(page, "Bo's question about the moon");
            await answered(page, 0);

            expect((await fetch(`${own.origin}/kvshare/keys/${entry.id}`, {method: "DELETE", headers: app})).status).toBe(200);
            await send(page, "Another question");
            const screen = page.getByTestId("api-key-screen");
            await expect(screen.getByTestId("key-no-longer-accepted")).toContainText("The key of student-bo is no longer accepted: it may have been revoked.");
            const [download] = await Promise.all([page.waitForEvent("download"), screen.getByTestId("download-all-chats").click()]);
            const file = JSON.parse(await readFile(await download.path(), "utf8")) as {conversations: Array<{messages: Array<{content: string}>}>};
            expect(file.conversations.flatMap((c) => c.messages.map((m) => m.content))).toContain("Bo's question about the moon");
            // Opened again later (the server no longer says whose the key was): the chats are still offered.
            await page.reload();
            await expect(screen.getByTestId("key-screen-chats")).toContainText("Signing in with another key forgets the chats this browser keeps");
            await expect(screen.getByTestId("download-all-chats")).toBeVisible();

            // A new link from the teacher: offered on the key screen (the chats could still be downloaded), taken when asked.
            const renewed = await fetch(`${own.origin}/kvshare/keys`, {method: "POST", headers: app, body: JSON.stringify({name: "student-bo-2"})});
            const {key: newKey} = (await renewed.json()) as {key: string};
            await page.goto(`${own.origin}/#key=${encodeURIComponent(newKey)}`);
            await expect(screen.getByTestId("key-screen-offer")).toContainText("The link you opened signs in as student-bo-2.");
            await expect(screen.getByTestId("download-all-chats")).toBeVisible();
            await screen.getByRole("button", {name: "Sign in as student-bo-2"}).click();
            await expect(page.getByTestId("signed-in-name")).toHaveText("student-bo-2");
            await expect(page.getByTestId("conversation-item")).not.toContainText("Bo's question about the moon");
        } finally {
            await context.close();
        }
    });

    test("a student's link opened where the app's key is saved offers to sign in as the student; taken, the key before is forgotten", async ({browser}) => {
        const context = await browser.newContext();
        try {
            const page = await context.newPage();
            await page.goto(own.url);
            await expect(page.getByTestId("profile-select")).toBeVisible();
            await send(page, "The teacher's question");
            await answered(page, 0);

            // The student opens their link in a new tab of the teacher's browser.
            const student = await context.newPage();
            const refusedHere = refusals(page);
            const refusedThere = refusals(student);
            await student.goto(studentLink);
            // A link alone signs nobody in: the person at the browser is told whose each key is, and decides.
            const offer = student.getByTestId("key-offer");
            await expect(offer).toContainText("This link signs in as student-ana (group class-4b). This browser is signed in as admin.");
            await expect(student).not.toHaveURL(/#key=/);
            await expect(student.getByTestId("profile-select")).toBeVisible();
            await expect(student.getByTestId("conversation-item").filter({hasText: "The teacher's question"})).toHaveCount(1);
            await offer.getByRole("button", {name: "Sign in as student-ana"}).click();
            await expect(student.getByTestId("signed-in-name")).toHaveText("student-ana");
            await expect(student.getByTestId("key-notice")).toContainText("Signed in with the link's key");
            await expect(student.getByTestId("conversation-item")).not.toContainText("The teacher's question");
            await expect(student.getByTestId("nav-dashboard")).toHaveCount(0);
            await student.setViewportSize({width: 375, height: 700});
            await student.screenshot({path: join(shots, "chat-only-375.png")});
            // The teacher's tab follows: the student's key, the chat alone, the teacher's chats no longer shown.
            await expect(page.getByTestId("signed-in-name")).toHaveText("student-ana");
            await expect(page.getByTestId("nav-dashboard")).toHaveCount(0);
            await expect(page.getByTestId("conversation-item")).not.toContainText("The teacher's question");
            expect([...refusedHere, ...refusedThere]).toEqual([]);

            // The app's key signs in again (its link, in a new tab): its chats are on the server.
            const teacher = await context.newPage();
            await teacher.goto(own.url);
            await teacher.getByTestId("key-offer").getByRole("button", {name: "Sign in as admin"}).click();
            await expect(teacher.getByTestId("profile-select")).toBeVisible();
            await expect(teacher.getByTestId("conversation-item").filter({hasText: "The teacher's question"})).toHaveCount(1);
        } finally {
            await context.close();
        }
    });
});
