import {expect} from "vitest";
import type {Completion, KvShareRecord} from "../../shared/openai.js";
import type {TestServer} from "./testServer.js";

/**
 * A greedy 8-token completion as `user`; resolves with its hit record once the served prompt's KV
 * is written and indexed, as a later request would find it.
 */
export async function completeAndSettle(server: TestServer, prompt: string, user: string): Promise<KvShareRecord> {
    const res = await server.api("/v1/completions", {method: "POST", json: {prompt, max_tokens: 8, temperature: 0, user}});
    expect(res.status).toBe(200);
    const body = (await res.json()) as Completion;
    await server.core.requirePipeline().settled();
    return body.x_kvshare!;
}
