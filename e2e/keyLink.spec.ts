import {expect, test} from "./fixtures.js";
import {open} from "./chatSteps.js";
import {appKey} from "./server.js";

test.describe("a #key= link in a browser that is signed in", () => {
    test("a link with a key the server refuses keeps every tab signed in with the saved key, and says so once", async ({page, server}) => {
        await open(page, server.url);
        await expect(page).not.toHaveURL(/#key=/);

        // An old link (a key since replaced), opened in another tab of the browser.
        const stale = await page.context().newPage();
        await stale.goto(`${server.origin}/#key=sk-an-old-key-no-longer-valid`);
        await expect(stale.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(stale.getByTestId("api-key-screen")).toHaveCount(0);
        await expect(stale.getByTestId("key-notice")).toHaveText(/The link's key was not accepted; still signed in with the saved key\./);
        // Whose: on a shared computer the saved key may be the person's before.
        await expect(stale.getByTestId("key-notice-name")).toHaveText("admin");
        await expect(stale).not.toHaveURL(/#key=/);
        await stale.getByTestId("key-notice-dismiss").click();
        await expect(stale.getByTestId("key-notice")).toHaveCount(0);

        // The other tab, reloaded, is still signed in; the notice is not said again.
        await page.reload();
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(page.getByTestId("api-key-screen")).toHaveCount(0);
        await stale.reload();
        await expect(stale.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(stale.getByTestId("key-notice")).toHaveCount(0);
        await stale.close();
    });

    test("a link pasted into the open tab's address bar (only its fragment changes) is taken as on opening it", async ({page, server}) => {
        await open(page, server.url);
        await expect(page).not.toHaveURL(/#key=/);
        // The same document: no page load, a hashchange alone.
        const loads: string[] = [];
        page.on("load", () => loads.push(page.url()));
        await page.evaluate(() => {
            window.location.hash = "#key=sk-pasted-and-refused";
        });
        await expect(page.getByTestId("key-notice")).toHaveText(/The link's key was not accepted; still signed in with the saved key\./);
        await expect(page).not.toHaveURL(/#key=/);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        expect(loads).toEqual([]);
    });

    test("a link whose key the server takes, opened where another key works, is offered, not taken: staying keeps everything", async ({page, server}) => {
        await open(page, server.url);
        const app = {authorization: `Bearer ${appKey(server)}`, "content-type": "application/json"};
        const created = await page.request.post(`${server.origin}/kvshare/keys`, {headers: app, data: {name: "mallory", group: "class-4b"}});
        expect(created.status()).toBe(200);
        const {key} = (await created.json()) as {key: string};
        // Sent to this browser's person by someone else: their own key, to read what this person asks next.
        await page.evaluate(
            (link) => {
                window.location.hash = link;
            },
            `#key=${encodeURIComponent(key)}`
        );
        const offer = page.getByTestId("key-offer");
        await expect(offer).toContainText("This link signs in as mallory (group class-4b). This browser is signed in as admin.");
        await expect(page).not.toHaveURL(/#key=/);
        await offer.getByRole("button", {name: "Stay signed in as admin"}).click();
        await expect(offer).toHaveCount(0);
        await expect(page.getByTestId("profile-select")).toBeVisible();
        await expect(page.getByTestId("nav-dashboard")).toBeVisible();
        // The key kept is the app's: a reload signs in as it, with nothing offered.
        await page.reload();
        await expect(page.getByTestId("nav-dashboard")).toBeVisible();
        await expect(page.getByTestId("key-offer")).toHaveCount(0);
    });

    test("with no key saved, a link's key is taken as it is: a refused one asks for a key", async ({browser, server}) => {
        const context = await browser.newContext();
        try {
            const page = await context.newPage();
            await page.goto(`${server.origin}/#key=sk-not-a-key`);
            await expect(page.getByTestId("api-key-screen")).toBeVisible();
            await expect(page.getByTestId("key-notice")).toHaveCount(0);
            await expect(page).not.toHaveURL(/#key=/);
        } finally {
            await context.close();
        }
    });
});
