import {mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {expect, test} from "@playwright/test";
import {startServer, type RunningServer} from "./server.js";

test.describe("recompute policy in the settings panel", () => {
    let dataDir: string;
    let server: RunningServer | undefined;
    test.beforeAll(() => {
        dataDir = mkdtempSync(join(tmpdir(), "kvshare-e2e-policy-"));
    });
    test.afterAll(async () => {
        await server?.stop();
        rmSync(dataDir, {recursive: true, force: true});
    });

    test("the admin picks a policy, saves, and it holds after a reload and a restart", async ({page}) => {
        const problems: string[] = [];
        page.on("pageerror", (e) => problems.push(e.message));
        // Its own server and data folder: the shared one must keep the default policy for the other specs.
        server = await startServer({dataDir});
        await page.goto(server.url);
        await page.getByTestId("nav-admin").click();
        const select = page.getByRole("combobox", {name: "Recompute policy"});
        await expect(select).toHaveAttribute("data-testid", "setting-recompute-policy");
        await expect(select).toHaveValue("dhd-decode");
        await expect(select.locator("option")).toHaveText([
            "None (new tokens only)",
            "Edit boundaries",
            "First tokens of each run (EPIC)",
            "Measured deviation (CacheBlend)",
            "Deviation × attention (DHD)",
            "DHD + decode-stage fixes",
            "DHD + decode fixes + near-tie guard"
        ]);
        // the hint says what the chosen policy buys and costs
        await expect(page.getByText(/more measured tokens fixed a few per generated token/)).toBeVisible();
        await select.selectOption({label: "DHD + decode fixes + near-tie guard"});
        await expect(page.getByText(/answers as a full prefill's, but that token waits for it/)).toBeVisible();

        await select.selectOption({label: "First tokens of each run (EPIC)"});
        await page.getByTestId("settings-save").click();
        await expect(page.getByTestId("settings-saved")).toBeVisible();
        expect(JSON.parse(readFileSync(join(dataDir, "settings.json"), "utf8")).sharing.recomputePolicy).toBe("epic");

        await page.reload();
        await page.getByTestId("nav-admin").click();
        await expect(page.getByTestId("setting-recompute-policy")).toHaveValue("epic");

        // settings.json is what a restarted server reads.
        await server.stop();
        server = await startServer({dataDir});
        await page.goto(server.url);
        await page.getByTestId("nav-admin").click();
        await expect(page.getByTestId("setting-recompute-policy")).toHaveValue("epic");
        expect(problems).toEqual([]);
    });
});
