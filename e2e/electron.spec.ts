import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {_electron as electron, expect, test} from "@playwright/test";
import {repoRoot, testModelPath} from "./server.js";

/** The Electron binary, or why there is none (installs with ELECTRON_SKIP_BINARY_DOWNLOAD=1 have none). */
function electronBinary(): {path: string} | {missing: string} {
    const pkg = join(repoRoot, "node_modules/electron");
    const pathFile = join(pkg, "path.txt");
    if (!existsSync(pathFile)) return {missing: "node_modules/electron/path.txt is absent (Electron binary not downloaded)"};
    const binary = join(pkg, "dist", readFileSync(pathFile, "utf8").trim());
    return existsSync(binary) ? {path: binary} : {missing: `Electron binary ${binary} does not exist`};
}

test("the Electron window opens the chat UI", async () => {
    const binary = electronBinary();
    test.skip("missing" in binary, `Electron cannot launch here: ${"missing" in binary ? binary.missing : ""}`);
    if (!("path" in binary)) return;
    const entry = join(repoRoot, "dist/main/electron/index.js");
    expect(existsSync(entry), `${entry} is missing: run npm run build`).toBe(true);

    const app = await electron.launch({
        executablePath: binary.path,
        args: [entry, "--no-sandbox"],
        cwd: repoRoot,
        env: {...process.env, KVSHARE_MODEL: testModelPath()} as Record<string, string>
    });
    try {
        const window = await app.firstWindow();
        await expect(window).toHaveTitle(/KVShare/);
        await expect(window.getByTestId("composer-input")).toBeVisible();
    } finally {
        await app.close();
    }
});
