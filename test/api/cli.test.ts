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
        const run = spawnSync(process.execPath, ["--import", "tsx", "main/cli.ts", "serve", "--data-dir", dataDir, "--port", "0"], {
            cwd: repoRoot,
            env,
            encoding: "utf8",
            timeout: 60_000
        });
        expect(run.status).toBe(2);
        expect(run.stderr).toMatch(/No model found/);
        expect(run.stderr).toMatch(/--model/);
        expect(run.stdout).not.toMatch(/KVShare ready/);
    });
});

describe("kvshare CLI input", () => {
    const cli = (...args: string[]) =>
        spawnSync(process.execPath, ["--import", "tsx", "main/cli.ts", ...args], {
            cwd: repoRoot,
            encoding: "utf8",
            timeout: 60_000,
            env: {...process.env, KVSHARE_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-cli-"))}
        });

    it("key --help prints the usage, never a stack trace", () => {
        const help = cli("key", "--help");
        expect(help.status).toBe(0);
        expect(help.stdout).toMatch(/Usage: kvshare key/);
        for (const args of [
            ["key", "--bogus"],
            ["key", "create"],
            ["key", "frobnicate"]
        ]) {
            const run = cli(...args);
            expect(run.status, args.join(" ")).toBe(2);
            expect(run.stderr, args.join(" ")).toMatch(/Usage: kvshare key/);
            expect(run.stderr, args.join(" ")).not.toMatch(/\n\s+at /);
        }
    });

    it("serve refuses --no-auth off loopback before loading anything", () => {
        const run = cli("serve", "--no-auth", "--host", "0.0.0.0", "--model", "/nonexistent.gguf");
        expect(run.status).toBe(2);
        expect(run.stderr).toMatch(/only allowed on a loopback address/);
        expect(run.stdout).not.toMatch(/KVShare ready/);
    });
});

describe("bounded fuzz of the CLI", () => {
    it("answers 8 mutated command lines with exit 0 or 2 and a message, never a stack trace", async () => {
        const {seededRandom} = await import("../support/seededRandom.js");
        const random = seededRandom(99);
        const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
        const flags = ["--port", "--host", "--threads", "--parallel", "--ctx-size", "--cors-origin", "--allowed-host", "--no-auth", "--bogus", "-h", "--group"];
        const values = ["", "-1", "0", "65536", "abc", "0.0.0.0", "::1", "1e9", "http://x", "--port", "😀"];
        for (let i = 0; i < 8; i++) {
            const command = pick(["serve", "key", "frob"]);
            const args = [command];
            if (command === "key") args.push(pick(["create", "list", "revoke", "", "--help"]));
            for (let n = 0; n < 1 + Math.floor(random() * 3); n++) args.push(pick(flags), pick(values));
            // Never a real model: a run that parses must stop at "no model" (exit 2), not start serving.
            if (command === "serve") args.push("--model", "/nonexistent/model.gguf");
            const run = spawnSync(process.execPath, ["--import", "tsx", "main/cli.ts", ...args.filter((a) => a !== "")], {
                cwd: repoRoot,
                encoding: "utf8",
                timeout: 60_000,
                env: {...process.env, KVSHARE_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-clifuzz-"))}
            });
            expect([0, 2], `${args.join(" ")}: ${run.stderr}`).toContain(run.status);
            expect(run.stderr, args.join(" ")).not.toMatch(/\n\s+at [\w.<]+ \(/);
            if (run.status === 2) expect(run.stderr.trim().length).toBeGreaterThan(0);
        }
    });
});
