import {mkdirSync} from "node:fs";
import {join} from "node:path";
import {expect, test} from "./fixtures.js";
import {repoRoot, startServer} from "./server.js";
import {freePort} from "../test/support/freePort.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});

test.describe("API server settings in the served UI", () => {
    test("an admin issues a key (shown once), it works on the API only, and revoking it stops it", async ({page, server, context}) => {
        await context.grantPermissions(["clipboard-read", "clipboard-write"], {origin: server.origin});
        await page.goto(server.url);
        await page.getByTestId("nav-admin").click();
        const keys = page.getByTestId("api-keys");
        await keys.getByTestId("key-name").fill("reception-app");
        await keys.getByTestId("key-group").fill("front-desk");
        await keys.getByTestId("key-create").click();
        await expect(keys.getByTestId("created-key-box")).toContainText("it will not be shown again");
        const key = (await keys.getByTestId("created-key").textContent()) ?? "";
        expect(key.length).toBeGreaterThan(20);
        await keys.getByTestId("created-key-copy").click();
        await expect(keys.getByTestId("created-key-copy")).toHaveText("Copied");
        expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
        const row = keys.getByTestId("key-row").filter({hasText: "reception-app"});
        await expect(row).toContainText("front-desk");
        await keys.screenshot({path: join(shots, "admin-api-keys.png")});

        const bearer = {authorization: `Bearer ${key}`};
        expect((await page.request.get(`${server.origin}/v1/models`, {headers: bearer})).status()).toBe(200);
        expect((await page.request.get(`${server.origin}/kvshare/settings`, {headers: bearer})).status()).toBe(403);

        // Gone after "Done" and a reload: the plain key is never fetched again.
        await keys.getByTestId("created-key-done").click();
        await page.reload();
        await page.getByTestId("nav-admin").click();
        await expect(page.getByTestId("key-row").filter({hasText: "reception-app"})).toBeVisible();
        await expect(page.getByTestId("created-key")).toHaveCount(0);
        expect(await page.content()).not.toContain(key);

        await page.getByTestId("key-row").filter({hasText: "reception-app"}).getByTestId("key-revoke").click();
        await page.getByTestId("key-revoke-confirm").click();
        await expect(page.getByTestId("key-row").filter({hasText: "reception-app"})).toHaveCount(0);
        expect((await page.request.get(`${server.origin}/v1/models`, {headers: bearer})).status()).toBe(401);
    });

    test("a new port moves the app: the page links to the new address, which opens signed in", async ({page}) => {
        // Its own server: the shared one must stay where the other specs expect it.
        const own = await startServer();
        try {
            await page.goto(own.url);
            await page.getByTestId("nav-admin").click();
            await expect(page.getByTestId("api-url")).toContainText(`${own.origin}/v1`);
            await expect(page.getByTestId("setting-api-enabled")).toBeDisabled();

            await page.getByTestId("setting-api-host").fill("0.0.0.0");
            await expect(page.getByTestId("api-lan-warning")).toContainText("other machines on the network");
            await page
                .getByTestId("api-lan-warning")
                .locator("xpath=..")
                .screenshot({path: join(shots, "admin-api-server.png")});
            await page.getByTestId("setting-api-host").fill("127.0.0.1");
            await expect(page.getByTestId("api-lan-warning")).toHaveCount(0);

            const port = await freePort();
            await page.getByTestId("setting-api-port").fill(String(port));
            await page.getByTestId("settings-save").click();
            const link = page.getByTestId("api-moved-link");
            await expect(link).toHaveText(`http://127.0.0.1:${port}`);
            await expect
                .poll(
                    async () =>
                        await fetch(`${own.origin}/health`).then(
                            () => "open",
                            () => "closed"
                        )
                )
                .toBe("closed");

            await link.click();
            await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${port}/`));
            await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
            await page.getByTestId("nav-admin").click();
            await expect(page.getByTestId("api-url")).toContainText(`http://127.0.0.1:${port}/v1`);
            await expect(page.getByTestId("setting-api-port")).toHaveValue(String(port));
        } finally {
            await own.stop();
        }
    });
});
