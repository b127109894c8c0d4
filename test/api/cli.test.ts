import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {describe, expect, it} from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const model = path.resolve(repoRoot, "../shared/models/stories260K.gguf");

/** A real `kvshare serve` on the tiny model: `ready` gives its origin and key, or rejects with its output if it exits first. */
function spawnServe(dataDir: string, args = ["--model", model]) {
    const env = {...process.env};
    delete env.KVSHARE_MODEL;
    const child = spawn(
        process.execPath,
        ["--import", "tsx", "main/cli.ts", "serve", ...args, "--data-dir", dataDir, "--port", "0", "--threads", "1", "--cpu"],
        {
            cwd: repoRoot,
            stdio: ["ignore", "pipe", "pipe"],
            env
        }
    );
    let out = "";
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const ready = new Promise<{origin: string; key: string}>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            const match = /KVShare ready: (http:\/\/[^/]+)\/#key=(\S+)/.exec(out);
            if (match) resolve({origin: match[1]!, key: decodeURIComponent(match[2]!)});
        });
        void exited.then((code) => reject(new Error(`serve exited with ${code}: ${out}${err}`)));
    });
    // Whoever does not wait for it must not get an unhandled rejection.
    ready.catch(() => undefined);
    return {child, ready, exited, output: () => ({stdout: out, stderr: err})};
}

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

    it("serve names what is wrong with the model file: a folder, a file cut short", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-badmodel-"));
        const whole = fs.readFileSync(model);
        const cut = path.join(dir, "cut.gguf");
        fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
        const folder = cli("serve", "--model", dir, "--port", "0");
        expect(folder.status).toBe(2);
        expect(folder.stderr).toContain(`is a folder, not a GGUF file: ${dir}`);
        const truncated = cli("serve", "--model", cut, "--port", "0", "--cpu");
        expect(truncated.status).toBe(1);
        expect(truncated.stderr).toMatch(/cut\.gguf cannot be served: the file is truncated/);
        expect(truncated.stderr).not.toMatch(/\n\s+at [\w.<]+ \(/);
        fs.rmSync(dir, {recursive: true, force: true});
    });

    it("checks the API flags as the settings panel does, and a data folder that is a file, naming the flag", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-file-")), "not-a-folder");
        fs.writeFileSync(file, "x");
        for (const [args, message] of [
            [["--cors-origin", "http://localhost:3000/"], "--cors-origin: 'http://localhost:3000/' is not an origin"],
            [["--allowed-host", "bad host!"], "--allowed-host must be an IP address"],
            [["--host", "127.0.0.1:8080"], "--host must be an IP address"],
            [["--data-dir", file], `The data folder ${file} is a file, not a folder`]
        ] as const) {
            const run = cli("serve", ...args, "--model", "/nonexistent.gguf");
            expect(run.status, args.join(" ")).toBe(2);
            expect(run.stderr).toContain(message);
        }
        const key = cli("key", "create", "alice", "smith");
        expect(key.status).toBe(2);
        expect(key.stderr).toContain("unexpected argument: smith");
    });

    it("key create says with whom the new key's prompts share KV under the sharing scope saved", () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-keyscope-"));
        // The default scope: a group is no wall.
        const grouped = cli("key", "create", "ana", "--group", "ward-3", "--data-dir", dataDir);
        expect(grouped.status).toBe(0);
        expect(grouped.stderr).toContain("its prompts share KV with everyone's; group ward-3 keeps them apart only under the “same group” scope");
        fs.writeFileSync(path.join(dataDir, "settings.json"), JSON.stringify({sharing: {scopePolicy: "group"}}));
        expect(cli("key", "create", "bo", "--group", "ward-3", "--data-dir", dataDir).stderr).toContain("its prompts share KV with group ward-3 only");
        expect(cli("key", "create", "cy", "--data-dir", dataDir).stderr).toContain("with no group, its prompts share KV with its own only");
        fs.rmSync(dataDir, {recursive: true, force: true});
    });

    it("names the settings file's runtime values when they keep the model from loading", () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-runtime-"));
        // Saved from the panel for the next start: far more KV than any machine has.
        fs.writeFileSync(path.join(dataDir, "settings.json"), JSON.stringify({parallel: 64, contextSize: 1_048_576}));
        const run = cli("serve", "--model", model, "--data-dir", dataDir, "--port", "0", "--cpu", "--threads", "1");
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`${path.join(dataDir, "settings.json")} sets parallel 64, contextSize 1048576`);
        expect(run.stderr).not.toMatch(/\n\s+at [\w.<]+ \(/);
        fs.rmSync(dataDir, {recursive: true, force: true});
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

describe("kvshare serve shutting down", () => {
    it("on SIGTERM (delivered twice within a moment) refuses new connections, lets the answer in progress finish, and exits 0", async () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-term-"));
        const {child, ready, exited} = spawnServe(dataDir);
        try {
            const {origin, key} = await ready;
            const headers = {authorization: `Bearer ${key}`, "content-type": "application/json"};
            const res = await fetch(`${origin}/v1/completions`, {
                method: "POST",
                headers,
                body: JSON.stringify({prompt: "Once upon a time", max_tokens: 400, temperature: 0, stream: true})
            });
            expect(res.status).toBe(200);
            const reader = res.body!.getReader();
            let body = new TextDecoder().decode((await reader.read()).value);
            // Twice within a moment, as when a service manager signals the whole group and npm / tsx pass it on: one stop.
            child.kill("SIGTERM");
            await new Promise((resolve) => setTimeout(resolve, 150));
            child.kill("SIGTERM");
            await expect
                .poll(
                    () =>
                        fetch(`${origin}/health`).then(
                            () => "answered",
                            (error: Error) => String((error.cause as {code?: string})?.code)
                        ),
                    {timeout: 5000}
                )
                .toBe("ECONNREFUSED");
            for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) body += new TextDecoder().decode(chunk.value);
            expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
            expect(body).toMatch(/"finish_reason":"(length|stop)"/);
            expect(await exited).toBe(0);
        } finally {
            child.kill("SIGKILL");
            fs.rmSync(dataDir, {recursive: true, force: true});
        }
    }, 90_000);
});

describe("kvshare serve starting", () => {
    it("stopped while the model loads, it exits at once and leaves the data folder unlocked", async () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-early-"));
        const lockFile = path.join(dataDir, "server.lock");
        const {child, exited, output} = spawnServe(dataDir);
        try {
            // The lock is taken before the model loads: signalled as soon as it is there, the server is still starting.
            await expect.poll(() => fs.existsSync(lockFile), {timeout: 30_000, interval: 5}).toBe(true);
            child.kill("SIGTERM");
            expect(await exited).toBe(143);
            expect(output().stdout).not.toMatch(/KVShare ready/);
            expect(output().stderr).toContain("stopped (SIGTERM) before the server was ready");
            expect(fs.existsSync(lockFile)).toBe(false);
        } finally {
            child.kill("SIGKILL");
            fs.rmSync(dataDir, {recursive: true, force: true});
        }
    }, 60_000);

    it("passes over a models-folder file that cannot be served for the next one, and warns when listening beyond loopback", async () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-folder-"));
        fs.mkdirSync(path.join(dataDir, "models"));
        const bytes = fs.readFileSync(model);
        fs.writeFileSync(path.join(dataDir, "models", "a-partial.gguf"), bytes.subarray(0, bytes.length - 100));
        fs.writeFileSync(path.join(dataDir, "models", "b-stories.gguf"), bytes);
        const {child, ready, exited, output} = spawnServe(dataDir, ["--host", "0.0.0.0"]);
        try {
            const {origin, key} = await ready;
            const models = (await (await fetch(`${origin}/v1/models`, {headers: {authorization: `Bearer ${key}`}})).json()) as {data: Array<{id: string}>};
            expect(models.data.map((m) => m.id)).toEqual(["b-stories"]);
            expect(output().stderr).toMatch(/a-partial\.gguf cannot be served: the file is truncated .*; trying b-stories\.gguf/);
            expect(output().stderr).toMatch(/warning: listening on 0\.0\.0\.0: the API and the web UI can be reached from other machines/);
            // Where the other machines open it: this machine's network addresses, without the app's key.
            const port = new URL(origin).port;
            const lan = Object.values(os.networkInterfaces())
                .flat()
                .filter((address) => address != null && !address.internal && address.family === "IPv4")
                .map((address) => `on the network: http://${address!.address}:${port}/`);
            for (const line of lan) expect(output().stdout).toContain(line);
            expect(output().stdout).not.toMatch(/on the network: .*key/);
            child.kill("SIGTERM");
            expect(await exited).toBe(0);
        } finally {
            child.kill("SIGKILL");
            fs.rmSync(dataDir, {recursive: true, force: true});
        }
    }, 60_000);
});

describe("one server per data folder", () => {
    it("a second serve on the folder is refused, naming the folder and the first server, and a killed server's lock does not block a restart", async () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-twice-"));
        const lockFile = path.join(dataDir, "server.lock");
        const first = spawnServe(dataDir);
        let third: ReturnType<typeof spawnServe> | undefined;
        try {
            const {origin, key} = await first.ready;
            const second = spawnServe(dataDir);
            expect(await second.exited).toBe(1);
            expect(second.output().stderr).toContain(`another KVShare server (pid ${first.child.pid}) is using ${dataDir}; stop it or use --data-dir`);
            expect(second.output().stderr).not.toMatch(/\n\s+at [\w.<]+ \(/);
            // Refused before loading a model or listening.
            expect(second.output().stdout).not.toMatch(/API:|KVShare ready|loaded/);
            expect((await fetch(`${origin}/health`, {headers: {authorization: `Bearer ${key}`}})).status).toBe(200);

            // kill -9: no clean-up runs, the lock stays, naming a process that is gone.
            first.child.kill("SIGKILL");
            await first.exited;
            expect(JSON.parse(fs.readFileSync(lockFile, "utf8")).pid).toBe(first.child.pid);
            third = spawnServe(dataDir);
            const restarted = await third.ready;
            expect(restarted.key).toBe(key);
            expect(JSON.parse(fs.readFileSync(lockFile, "utf8")).pid).toBe(third.child.pid);
            // A normal stop removes the lock.
            third.child.kill("SIGTERM");
            expect(await third.exited).toBe(0);
            expect(fs.existsSync(lockFile)).toBe(false);
        } finally {
            first.child.kill("SIGKILL");
            third?.child.kill("SIGKILL");
            fs.rmSync(dataDir, {recursive: true, force: true});
        }
    }, 120_000);
});
