import {mkdirSync} from "node:fs";
import {join} from "node:path";
import type {Page} from "@playwright/test";
import {expect, test} from "./fixtures.js";
import {expectFits} from "./layoutChecks.js";
import {appKey, repoRoot, type RunningServer} from "./server.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});

// Words no other spec sends: the searches find these prompts alone on the shared server.
const confidential = "Once upon a time the nurse wrote that Patient Quillworth has the rare fever.";
const harmless = "Once upon a time there was a Marmalade cat who liked the garden.";
const arabic = "مرحبا، اسمي Quorvale ودرجتي في الامتحان 17/20";

/** A real chat completion: its prompt is cached with its KV once the answer is done. */
async function ask(server: RunningServer, content: string): Promise<void> {
    const headers = {authorization: `Bearer ${appKey(server)}`, "content-type": "application/json"};
    const models = (await (await fetch(`${server.origin}/v1/models`, {headers})).json()) as {data: Array<{id: string}>};
    const answer = await fetch(`${server.origin}/v1/chat/completions`, {
        method: "POST",
        headers,
        body: JSON.stringify({model: models.data[0]!.id, max_tokens: 4, messages: [{role: "user", content}]})
    });
    expect(answer.status).toBe(200);
}

/** The KV is written just after the answer: wait until the cache lists `count` prompts holding `text`. */
async function cached(server: RunningServer, text: string, count = 1): Promise<void> {
    await expect
        .poll(
            async () => {
                const res = await fetch(`${server.origin}/kvshare/cache/entries?text=${encodeURIComponent(text)}`, {
                    headers: {authorization: `Bearer ${appKey(server)}`}
                });
                return ((await res.json()) as {total: number}).total;
            },
            {timeout: 30_000}
        )
        .toBe(count);
}

/** Deletes what this spec cached: a prompt left behind could be another spec's donor and turn its expected miss into a hit. */
async function forget(server: RunningServer, text: string): Promise<void> {
    const headers = {authorization: `Bearer ${appKey(server)}`};
    const page = (await (await fetch(`${server.origin}/kvshare/cache/entries?text=${encodeURIComponent(text)}`, {headers})).json()) as {
        entries: Array<{id: number}>;
    };
    for (const {id} of page.entries) await fetch(`${server.origin}/kvshare/cache/entries/${id}`, {method: "DELETE", headers});
}

async function search(page: Page, text: string): Promise<void> {
    await page.getByTestId("cached-prompts-search").fill(text);
    await expect(page.getByTestId("cached-prompts-range")).toHaveText("1–1 of 1");
}

test.describe("cached prompts on the dashboard", () => {
    test.beforeAll(async ({server}) => {
        await ask(server, confidential);
        await ask(server, harmless);
        await cached(server, "Quillworth");
        await cached(server, "Marmalade");
        await ask(server, arabic);
        await cached(server, "Quorvale");
    });
    test.afterAll(async ({server}) => {
        await forget(server, "Quillworth");
        await forget(server, "Marmalade");
        await forget(server, "Zephyrine");
        await forget(server, "Quorvale");
    });

    test("shows a prompt in Arabic right to left, its Latin name and numbers in place", async ({page, server}) => {
        await page.goto(server.url);
        await page.getByTestId("nav-dashboard").click();
        await search(page, "Quorvale");
        const text = page.getByTestId("cached-prompt-text");
        await expect(text).toContainText(arabic);
        expect(await text.evaluate((el) => getComputedStyle(el).direction)).toBe("rtl");
        // Right to left, the greeting opens the line at its right end and the grade closes it at the left.
        const [greeting, grade] = await text.evaluate((el) => {
            const box = (word: string): DOMRect => {
                const node = el.firstChild!;
                const range = document.createRange();
                const at = node.textContent!.indexOf(word);
                range.setStart(node, at);
                range.setEnd(node, at + word.length);
                return range.getBoundingClientRect();
            };
            return [box("مرحبا").left, box("17/20").left];
        });
        expect(greeting, "the greeting right of the grade").toBeGreaterThan(grade!);
    });

    test("finds one confidential prompt by a word of it and deletes it by keyboard; the other stays", async ({page, server}) => {
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await page.getByTestId("nav-dashboard").click();
        await expect(page.getByTestId("cached-prompt").first()).toBeVisible();

        await search(page, "quillworth");
        const row = page.getByTestId("cached-prompt");
        await expect(row).toHaveCount(1);
        await expect(row.getByTestId("cached-prompt-text")).toContainText("Patient Quillworth has the rare fever");
        await expect(row.locator("dt", {hasText: "Scope"}).locator("+ dd")).toHaveText("global");
        await row.scrollIntoViewIfNeeded();
        await page.getByTestId("cached-prompts").screenshot({path: join(shots, "dashboard-cached-prompts.png")});

        // Enter asks, the focus goes to the confirmation, Enter deletes.
        const remove = row.getByRole("button", {name: /^Delete cached prompt “.+”…$/});
        await remove.focus();
        await page.keyboard.press("Enter");
        await expect(row.getByTestId("cached-prompt-delete-confirm")).toBeFocused();
        await page.keyboard.press("Enter");
        await expect(page.getByRole("status").filter({hasText: "Deleted the cached prompt starting"})).toBeVisible();
        await expect(page.getByTestId("cached-prompts-empty")).toHaveText("No cached prompt holds ‘quillworth’");
        await expect(page.getByRole("heading", {name: "Cached prompts"})).toBeFocused();

        await search(page, "Marmalade");
        await expect(page.getByTestId("cached-prompt-text")).toContainText("Marmalade cat");
        // The server agrees: the confidential prompt is gone for good.
        const left = await fetch(`${server.origin}/kvshare/cache/entries?text=Quillworth`, {headers: {authorization: `Bearer ${appKey(server)}`}});
        expect(((await left.json()) as {total: number}).total).toBe(0);
    });

    test("pages a search whatever its case while prompts are cached meanwhile, and shows those on asking", async ({page, server}) => {
        // One page and one more: 21 prompts of a school whose name is in capitals, searched for in lowercase.
        const school = (pupil: number) => `Once upon a time at the ÉCOLE ZEPHYRINE, pupil ${pupil} drew a map of the sea.`;
        for (let pupil = 1; pupil <= 21; pupil++) await ask(server, school(pupil));
        await cached(server, "Zephyrine", 21);

        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await page.getByTestId("nav-dashboard").click();
        await page.getByTestId("cached-prompts-search").fill("école zephyrine");
        await expect(page.getByTestId("cached-prompts-range")).toHaveText("1–20 of 21");
        await expect(page.getByTestId("cached-prompt-text").first()).toContainText("pupil 21 drew");

        // Cached after the list was loaded: the next page is the one that was, and the new one is counted.
        await ask(server, school(22));
        await cached(server, "Zephyrine", 22);
        await page.getByRole("button", {name: "Next"}).click();
        await expect(page.getByTestId("cached-prompts-range")).toHaveText("21–21 of 21");
        await expect(page.getByTestId("cached-prompt-text")).toContainText("pupil 1 drew");
        await expect(page.getByTestId("cached-prompts-newer")).toHaveText("1 prompt was cached since this list was loaded. Show the newest");
        await page.getByTestId("cached-prompts").screenshot({path: join(shots, "dashboard-cached-prompts-newer.png")});
        await page.getByRole("button", {name: "Show the newest"}).click();
        await expect(page.getByTestId("cached-prompts-range")).toHaveText("1–20 of 22");
        await expect(page.getByTestId("cached-prompt-text").first()).toContainText("pupil 22 drew");
        await expect(page.getByTestId("cached-prompts-newer")).toHaveCount(0);
    });

    test("375×700: the panel, its confirmation included, does not scroll the page sideways", async ({page, server}) => {
        await page.setViewportSize({width: 375, height: 700});
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await page.getByTestId("menu-button").click();
        await page.getByTestId("nav-dashboard").click();
        await search(page, "Marmalade");
        await page.getByTestId("cached-prompt-delete").click();
        const confirm = page.getByTestId("cached-prompt-delete-confirm");
        await expect(confirm).toBeFocused();
        await confirm.scrollIntoViewIfNeeded();

        for (const testId of ["cached-prompts", "cached-prompts-search", "cached-prompts-scope", "cached-prompt-delete-confirm"])
            await expectFits(page, testId);
        await page.getByTestId("cached-prompts").screenshot({path: join(shots, "layout-375-cached-prompts.png")});
        // Esc leaves it be.
        await page.keyboard.press("Escape");
        await expect(page.getByTestId("cached-prompt")).toHaveCount(1);
    });
});
