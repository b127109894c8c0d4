import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import type {APIRequestContext, Page} from "@playwright/test";
import {expect, test} from "@playwright/test";
import {appKey, repoRoot, startServer, type RunningServer} from "./server.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});

const lily =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball. One day, she saw a big dog near the tree.";
const tom = lily.replace("a little girl named Lily. She", "a little boy named Tom. He").replace("her red ball", "his red ball");
const sam = lily.replace("a little girl named Lily. She", "a little boy named Sam. He").replace("the park", "the garden");
const mia = lily.replace("a little girl named Lily. She", "a little girl named Mia. She").replace("big dog", "small cat");
const zoe = lily.replace("a little girl named Lily. She", "a happy girl named Zoe. She").replace("red ball", "green kite");
const unrelated = "The bird sang a song in the morning sun while the farmer fed the cows.";

interface Hit {
    mode: string;
    note?: string;
    donor?: {similarity: number};
}

/** One completion through the real API, as another app would send it. */
async function complete(request: APIRequestContext, server: RunningServer, prompt: string, user: string, extra: Record<string, unknown> = {}): Promise<Hit> {
    const response = await request.post(`${server.origin}/v1/completions`, {
        headers: {authorization: `Bearer ${appKey(server)}`},
        data: {prompt, max_tokens: 8, temperature: 0, user, ...extra}
    });
    expect(response.status()).toBe(200);
    const hit = ((await response.json()) as {x_kvshare: Hit}).x_kvshare;
    // The prompt's KV is written just after the answer; the next paraphrase should find it.
    await expect
        .poll(async () => {
            const stats = await request.get(`${server.origin}/kvshare/cache/stats`, {headers: {authorization: `Bearer ${appKey(server)}`}});
            return ((await stats.json()) as {cache: {entries: number}}).cache.entries;
        })
        .toBeGreaterThan(0);
    return hit;
}

async function openAdmin(page: Page): Promise<void> {
    await page.getByTestId("nav-admin").click();
    await expect(page.getByTestId("whatif-threshold-chart").locator("canvas")).toBeVisible();
}

test.describe("tuning with evidence", () => {
    let dataDir: string;
    let server: RunningServer;
    test.beforeAll(async () => {
        dataDir = mkdtempSync(join(tmpdir(), "kvshare-e2e-tuning-"));
        // The headless server leaves the quality monitor off unless the admin turns it on: here it checks every shared-KV answer.
        writeFileSync(join(dataDir, "settings.json"), JSON.stringify({sharing: {monitorShare: 1}}));
        server = await startServer({dataDir});
    });
    test.afterAll(async () => {
        await server?.stop();
        rmSync(dataDir, {recursive: true, force: true});
    });

    test("the admin sees the curve, moves the threshold, saves, the next request follows; the monitor measures; history survives", async ({page, request}) => {
        test.setTimeout(240_000);
        const problems: string[] = [];
        page.on("pageerror", (e) => problems.push(e.message));
        // While the server restarts, the old page's polls fail to connect: expected then, and only then.
        let restarting = false;
        page.on("console", (m) => {
            if (m.type() === "error" && !(restarting && m.text().startsWith("Failed to load resource"))) problems.push(m.text());
        });

        // Real requests: a story, paraphrases of it (served from its KV), and an unrelated prompt.
        await complete(request, server, lily, "nurse-1");
        const similarities: number[] = [];
        for (const [prompt, user] of [
            [tom, "nurse-2"],
            [sam, "nurse-3"],
            [mia, "nurse-4"]
        ] as const) {
            const hit = await complete(request, server, prompt, user);
            expect(hit.mode).toBe("semantic");
            similarities.push(hit.donor!.similarity);
        }
        await complete(request, server, unrelated, "nurse-5");
        const highest = Math.max(...similarities);

        // 1. The curve, with the saved threshold marked.
        await page.goto(server.url);
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await openAdmin(page);
        await expect(page.getByTestId("whatif-basis")).toContainText("From the latest 5 requests");
        const saved = page.getByTestId("whatif-saved");
        await expect(saved).toHaveAttribute("data-threshold", "0.3");
        expect(Number(await saved.getAttribute("data-hit-rate"))).toBeCloseTo(3 / 5, 6);

        // 2. Typing a threshold above every paraphrase's similarity marks a second point, with its expected hit rate.
        expect(highest).toBeLessThan(0.99);
        const raised = 0.99;
        await page.getByTestId("setting-threshold").fill(String(raised));
        const typed = page.getByTestId("whatif-typed");
        await expect(typed).toHaveAttribute("data-threshold", String(raised));
        expect(Number(await typed.getAttribute("data-hit-rate"))).toBe(0);
        await expect(typed).toContainText("expected hit rate 0%");
        await expect(page.getByTestId("whatif-threshold-chart")).toHaveAttribute("data-typed", String(raised));
        // Typing on moves the mark again.
        const lowest = Math.min(...similarities);
        const middle = Math.floor(lowest * 100) / 100;
        await page.getByTestId("setting-threshold").fill(String(middle));
        await expect(typed).toHaveAttribute("data-threshold", String(middle));
        expect(Number(await typed.getAttribute("data-hit-rate"))).toBeCloseTo(3 / 5, 6);
        await page.getByTestId("setting-threshold").fill(String(raised));
        await expect(typed).toHaveAttribute("data-threshold", String(raised));

        // 3. Save: the next paraphrase finds no donor similar enough, as the curve said.
        await page.getByTestId("settings-save").click();
        await expect(page.getByTestId("settings-saved")).toBeVisible();
        await expect(saved).toHaveAttribute("data-threshold", String(raised));
        const next = await complete(request, server, zoe, "nurse-6");
        expect(next.mode).not.toBe("semantic");
        expect(next.note).toMatch(/threshold/);

        // 4. After an idle moment, the monitor has replayed the shared-KV answers against full compute.
        await page.getByTestId("nav-dashboard").click();
        const headline = page.getByTestId("quality-headline");
        await expect(headline).toContainText("matched full compute in", {timeout: 60_000});
        await expect.poll(async () => Number(await page.getByTestId("quality-panel").getAttribute("data-checks")), {timeout: 60_000}).toBe(3);
        await expect(page.getByTestId("card-requests").locator(".stat-card-value")).toHaveText("6");
        await page.setViewportSize({width: 1280, height: 1500});
        await page.screenshot({path: join(shots, "dashboard-quality.png")});
        await page.setViewportSize({width: 1280, height: 800});

        // 5. Reload, then restart the server on the same data folder: the history is still there.
        await page.reload();
        await page.getByTestId("nav-dashboard").click();
        await expect(page.getByTestId("card-requests").locator(".stat-card-value")).toHaveText("6");
        restarting = true;
        await server.stop();
        server = await startServer({dataDir});
        await page.goto(server.url);
        restarting = false;
        await page.getByTestId("nav-dashboard").click();
        await expect(page.getByTestId("card-requests").locator(".stat-card-value")).toHaveText("6");
        await expect(page.getByTestId("quality-panel")).toHaveAttribute("data-checks", "3");
        await openAdmin(page);
        await expect(page.getByTestId("whatif-saved")).toHaveAttribute("data-threshold", String(raised));
        await expect(page.getByTestId("whatif-basis")).toContainText("From the latest 6 requests");
        // The budget curve now has the monitor's measured points; a typed threshold is marked beside the saved one.
        await expect(page.getByTestId("whatif-budget-basis")).toContainText("quality checks this week");
        expect(Number(/(\d+) quality checks/.exec(await page.getByTestId("whatif-budget-basis").innerText())?.[1])).toBeGreaterThanOrEqual(3);
        await page.getByTestId("setting-threshold").fill(String(middle));
        await expect(page.getByTestId("whatif-typed")).toHaveAttribute("data-threshold", String(middle));
        await page.setViewportSize({width: 1280, height: 1100});
        await page.getByTestId("whatif").evaluate((element) => element.scrollIntoView({block: "start"}));
        await page.getByTestId("whatif").screenshot({path: join(shots, "whatif-curves.png")});
        expect(problems).toEqual([]);
    });
});

test.describe("the budget curve per recompute policy", () => {
    let dataDir: string;
    let server: RunningServer;
    test.beforeAll(async () => {
        dataDir = mkdtempSync(join(tmpdir(), "kvshare-e2e-policies-"));
        server = await startServer({dataDir});
    });
    test.afterAll(async () => {
        await server?.stop();
        rmSync(dataDir, {recursive: true, force: true});
    });

    test("a request that names its own policy gets that policy's curve, which the admin can choose", async ({page, request}) => {
        const problems: string[] = [];
        page.on("pageerror", (e) => problems.push(e.message));
        page.on("console", (m) => (m.type() === "error" ? problems.push(m.text()) : undefined));
        await complete(request, server, lily, "nurse-1");
        expect((await complete(request, server, tom, "nurse-2", {x_kvshare: {recompute_policy: "boundary"}})).mode).toBe("semantic");
        expect((await complete(request, server, sam, "nurse-3")).mode).toBe("semantic");

        await page.goto(server.url);
        await openAdmin(page);
        const choice = page.getByTestId("whatif-policy");
        await expect(choice).toHaveValue("dhd-decode");
        await expect(choice.locator("option")).toHaveText(["DHD + decode-stage fixes", "Edit boundaries"]);
        await expect(page.getByTestId("whatif-policy-hint")).toHaveText(
            "In use: DHD + decode-stage fixes. Donor requests served: 1 with DHD + decode-stage fixes, 1 with Edit boundaries."
        );
        await expect(page.getByTestId("whatif-budget-basis")).toContainText("1 donor request served with “DHD + decode-stage fixes”");
        await choice.selectOption("boundary");
        await expect(page.getByTestId("whatif-budget-basis")).toContainText("1 donor request served with “Edit boundaries”");
        await expect(page.getByTestId("whatif-budget-chart").locator("canvas")).toBeVisible();
        expect(problems).toEqual([]);
    });
});
