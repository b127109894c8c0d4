import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {describe, expect, it} from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("kvshare serve without a model", () => {
    it("says what to do and exits with code 2", () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-nomodel-"));
        const env = {...process.env};
        delete env.KVSHARE_MODEL;
        const run = spawnSync(process.execPath, ["--import", "tsx", "main/cli.ts", "serve", "--data-dir", dataDir, "--port", "0"],
            {cwd: repoRoot, env, encoding: "utf8", timeout: 60_000});
        expect(run.status).toBe(2);
        expect(run.stderr).toMatch(/No model found/);
        expect(run.stderr).toMatch(/--model/);
        expect(run.stdout).not.toMatch(/KVShare ready/);
    });
});
