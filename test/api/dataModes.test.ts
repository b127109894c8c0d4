import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {startTestServer, type TestServer} from "../support/testServer.js";

/** Every file and folder under `dir` with its permission bits, models folder contents excluded. */
function modes(dir: string): Array<{file: string; mode: number; isDir: boolean}> {
    const out: Array<{file: string; mode: number; isDir: boolean}> = [];
    const visit = (target: string) => {
        const stat = fs.lstatSync(target);
        out.push({file: path.relative(dir, target) || ".", mode: stat.mode & 0o777, isDir: stat.isDirectory()});
        if (stat.isDirectory() && target !== path.join(dir, "models")) for (const name of fs.readdirSync(target)) visit(path.join(target, name));
    };
    visit(dir);
    return out;
}

describe.skipIf(process.platform === "win32")("data folder permissions", () => {
    let server: TestServer;
    let dataDir: string;
    beforeAll(async () => {
        // An existing, world-readable folder the user named, with a world-readable settings file in it.
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-modes-"));
        fs.chmodSync(dataDir, 0o755);
        fs.writeFileSync(path.join(dataDir, "settings.json"), "{}\n", {mode: 0o644});
        fs.chmodSync(path.join(dataDir, "settings.json"), 0o644);
        server = await startTestServer({dataDir});
    });
    afterAll(async () => {
        await server.close();
        fs.rmSync(dataDir, {recursive: true, force: true});
    });

    it("makes every file and folder the app keeps owner-only, existing ones included", async () => {
        // Create what a day of use creates: cached prompts (index + snapshots), chats, keys, settings.
        const res = await server.api("/v1/completions", {method: "POST", json: {prompt: "Once upon a time, a nurse wrote a private note.", max_tokens: 4}});
        expect(res.status).toBe(200);
        await server.core.requirePipeline().settled();
        const now = Date.now();
        const conversation = {
            id: "c1",
            title: "t",
            profile: "Nurse",
            systemPrompt: "",
            params: {},
            createdAt: now,
            updatedAt: now,
            messages: [{id: "m1", role: "user", content: "a private note", createdAt: now}]
        };
        expect((await server.api("/kvshare/conversations/c1", {method: "PUT", json: conversation})).status).toBe(200);
        expect((await server.api("/kvshare/keys", {method: "POST", json: {name: "ward-app"}})).status).toBe(200);
        expect((await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {topK: 9}}})).status).toBe(200);

        const seen = modes(dataDir);
        for (const expected of ["cache", "cache/kvshare-cache.db", "settings.json", "keys.json", "app.db"])
            expect(
                seen.map((s) => s.file),
                expected
            ).toContain(expected);
        expect(seen.some((s) => s.file.startsWith("cache/snapshots/") && !s.isDir)).toBe(true);
        for (const entry of seen) expect(entry.mode & 0o077, `${entry.file} ${entry.mode.toString(8)}`).toBe(0);
    });
});
