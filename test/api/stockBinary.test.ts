import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Completion, ModelList} from "../../shared/openai.js";
import type {Logger} from "../../main/common/log.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

// This file runs in its own process (vitest forks per file), so the stock binary can be loaded here.
const warnings: string[] = [];
const log: Logger = {info() {}, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m)};
let server: TestServer;
beforeAll(async () => {
    process.env.KVSHARE_STOCK_BINARY = "1";
    server = await startTestServer({log});
});
afterAll(async () => {
    await server.close();
    delete process.env.KVSHARE_STOCK_BINARY;
});

const lily = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball.";

describe("with the stock (unpatched) binary", () => {
    it("still serves, reuses exact prefixes only, and says so in the log, the model list and the hit record", async () => {
        expect(warnings.join("\n")).toMatch(/KV editing is off/);
        const models = (await (await server.api("/v1/models")).json()) as ModelList;
        expect(models.data[0]!.meta!.kv_editing).toBe(false);
        expect(models.data[0]!.meta!.kvshare_patched).toBe(false);
        expect(models.data[0]!.meta!.build_notice).toMatch(/semantic KV sharing is off/);

        const ask = async (prompt: string) => {
            const res = await server.api("/v1/completions", {method: "POST", json: {prompt, max_tokens: 8, temperature: 0}});
            expect(res.status).toBe(200);
            await server.core.requirePipeline().settled();
            return ((await res.json()) as Completion).x_kvshare!;
        };
        await ask(lily);
        const swapped = await ask(lily.replace("Lily", "Sue"));
        expect(swapped.mode).not.toBe("semantic");
        expect(swapped.note).toMatch(/exact prefix reuse only/);
        const again = await ask(lily);
        expect(again.mode).toBe("prefix");
        expect(again.reused_tokens).toBeGreaterThan(10);
    });
});
