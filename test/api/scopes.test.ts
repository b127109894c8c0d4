import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatCompletion} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";
import {health, readUntilFirstText, waitFor, waitForIdleSequences} from "../support/waitFor.js";

// One sequence, so every request lands on the sequence the previous one filled: the pool must clear
// it between scopes, and the sharing engine must only offer donors of the requester's own scope.
let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({overrides: {parallel: 1, sharing: {scopePolicy: "group", groups: {alice: "ward-1", carol: "ward-1", bob: "ward-2"}}}});
});
afterAll(async () => {
    await server.close();
});

const secret = "ZQ-7731-XK";
const withSecret = (name: string) =>
    `Patient note for ${name}. The patient code is ${secret}. She has a cough and a mild fever since Monday. Please write a short reply.`;
const withoutSecret = (name: string) =>
    `Patient note for ${name}. The patient code is unknown. She has a cough and a mild fever since Monday. Please write a short reply.`;

async function ask(user: string, content: string, extra: Record<string, unknown> = {}) {
    const res = await server.api("/v1/chat/completions", {
        method: "POST",
        json: {messages: [{role: "user", content}], max_tokens: 24, temperature: 0, user, ...extra}
    });
    const body = (await res.json()) as ChatCompletion;
    await server.core.requirePipeline().settled();
    return {status: res.status, body};
}

describe("sharing scopes", () => {
    it("never reuses another scope's KV, nor reports it, even on the same sequence", async () => {
        await ask("alice", withSecret("Ann Smith"));
        const bob = (await ask("bob", withoutSecret("Ann Smith"))).body;
        expect(bob.x_kvshare.scope).toBe("group:ward-2");
        expect(bob.x_kvshare.mode).toBe("none");
        expect(bob.x_kvshare.donor).toBeUndefined();
        expect(bob.x_kvshare.reused_tokens).toBe(0);
        expect(bob.usage.prompt_tokens_details.cached_tokens).toBe(0);
        expect(bob.timings.cache_n).toBe(0);
        expect(bob.choices[0]!.message.content).not.toContain(secret);
    });

    it("takes a user as it is written: a padded copy of a name is refused, not merged into it", async () => {
        for (const copy of [" alice", "alice\u00a0", "\ufeffalice", "alice\t", "ali\u0007ce", "alice\u200b", "\u202eecila", "al\u00adice"]) {
            const {status, body} = await ask(copy, withoutSecret("Ann Smith"));
            expect(status, JSON.stringify(copy)).toBe(400);
            expect((body as unknown as {error: {param: string; message: string}}).error).toMatchObject({
                param: "user",
                message: expect.stringMatching(/must not begin or end with spaces/)
            });
        }
        // A name with inner spaces is a name of its own, in no group: its own scope.
        const spaced = (await ask("alice smith", withoutSecret("Ann Smith"))).body;
        expect(spaced.x_kvshare.scope).toBe("user:alice smith");
        expect(spaced.x_kvshare.reused_tokens).toBe(0);
        // Names that need a joiner (Persian, emoji sequences) are names like any other.
        expect((await ask("نیلو\u200cفر", withoutSecret("Ann Smith"))).body.x_kvshare.scope).toBe("user:نیلو\u200cفر");
    });

    it("leaves no cleared prompt in a sequence's KV: the same prompt asked again after clearing the cache is computed afresh", async () => {
        const note = withSecret("Gil Ray");
        await ask("alice", note);
        // Before the clear the one sequence holds it: asked again, all but its last token is reused.
        const again = (await ask("alice", note)).body;
        expect(again.x_kvshare.reused_tokens).toBe(again.x_kvshare.prompt_tokens - 1);
        expect((await server.api("/kvshare/cache/clear", {method: "POST"})).status).toBe(200);
        const cleared = (await ask("alice", note)).body;
        expect(cleared.x_kvshare.mode).toBe("none");
        expect(cleared.x_kvshare.reused_tokens).toBe(0);
        expect(cleared.usage.prompt_tokens_details.cached_tokens).toBe(0);
    });

    it("keeps nothing of a request served while the cache was cleared: no entry, no KV left in its sequence", async () => {
        const note = withSecret("Hal Roe");
        const res = await server.api("/v1/chat/completions", {
            method: "POST",
            json: {messages: [{role: "user", content: note}], max_tokens: 300, temperature: 0, user: "alice", stream: true}
        });
        expect(res.status).toBe(200);
        const reader = await readUntilFirstText(res);
        expect((await server.api("/kvshare/cache/clear", {method: "POST"})).status).toBe(200);
        while (!(await reader.read()).done);
        await waitForIdleSequences(server);
        await server.core.requirePipeline().settled();
        const entries = (await (await server.api(`/kvshare/cache/entries?text=${encodeURIComponent("Hal Roe")}`)).json()) as {total: number};
        expect(entries.total).toBe(0);
        const again = (await ask("alice", note)).body;
        expect(again.x_kvshare.reused_tokens).toBe(0);
    });

    it("stops a revoked key's request that waited for the sequence while its prompts were purged, and keeps nothing of it", async () => {
        const {key, entry} = server.core.keys.create("leaving-tablet", "ward-1");
        // Bob holds the one sequence; the key's request waits for it.
        const holder = await server.api("/v1/chat/completions", {
            method: "POST",
            json: {messages: [{role: "user", content: withoutSecret("Ida Fox")}], max_tokens: 300, temperature: 0, user: "bob", stream: true}
        });
        const holding = await readUntilFirstText(holder);
        // Like nothing cached before: only the key's own KV, left in the sequence, could give alice any of it.
        const note = "The tablet in room twelve noted that Jo Kim takes insulin at nine each evening, after the soup.";
        const queued = fetch(`${server.url}/v1/chat/completions`, {
            method: "POST",
            headers: {authorization: `Bearer ${key}`, "content-type": "application/json"},
            body: JSON.stringify({messages: [{role: "user", content: note}], max_tokens: 4, temperature: 0})
        });
        await waitFor("the key's request queued", async () => ((await health(server)).queued ?? 0) > 0 || undefined);
        expect((await server.api(`/kvshare/keys/${entry.id}?purge=true`, {method: "DELETE"})).status).toBe(200);
        // Stopped where it waited: the key was revoked (a 401 saying so), and nothing of it was computed.
        const refused = await queued;
        expect(refused.status).toBe(401);
        expect(((await refused.json()) as {error: {code: string}}).error.code).toBe("invalid_api_key");
        while (!(await holding.read()).done);
        await waitForIdleSequences(server);
        await server.core.requirePipeline().settled();
        // Its KV left nothing for alice (same group) to reuse.
        const alice = (await ask("alice", note)).body;
        expect(alice.x_kvshare.reused_tokens).toBe(0);
    });

    it("clears the sequence when a request is cut off mid-generation, both for it and after it", async () => {
        // Dave (in no group: a scope of his own) leaves his note on the one sequence.
        await ask("dave", withoutSecret("Fay Hill"));
        // No scope has a cached donor from here on: any reuse below can only come from the sequence.
        expect((await server.api("/kvshare/cache/clear", {method: "POST"})).status).toBe(200);

        // Bob streams a note that shares dave's first sentence, and his client goes away once the
        // answer has begun (greedy decoding of this note runs to the token limit on this model).
        const maxTokens = 1000;
        const abort = new AbortController();
        const res = await server.api("/v1/chat/completions", {
            method: "POST",
            signal: abort.signal,
            json: {messages: [{role: "user", content: withSecret("Fay Hill")}], max_tokens: maxTokens, temperature: 0, user: "bob", stream: true}
        });
        expect(res.status).toBe(200);
        await readUntilFirstText(res);
        expect((await health(server)).slots_busy).toBe(1);
        abort.abort();

        // The cut-off request gives the sequence back, holding its own KV (prompt and a partial answer).
        await waitForIdleSequences(server);
        const cut = await waitFor("bob's request in the log", () => server.core.requestLog.since(0).findLast((entry) => entry.user === "bob"));
        await server.core.requirePipeline().settled();
        expect(cut.scope).toBe("group:ward-2");
        expect(cut.completionTokens).toBeGreaterThan(0);
        expect(cut.completionTokens).toBeLessThan(maxTokens);
        // It was cleared of dave's KV before bob's prompt went on it: nothing of dave's prefix was reused.
        expect(cut.mode).toBe("none");
        expect(cut.reusedTokens).toBe(0);

        // Dave now sends bob's exact note: the sequence holds all of it, and must be cleared for him.
        const guess = (await ask("dave", withSecret("Fay Hill"))).body;
        expect(guess.x_kvshare.scope).toBe("user:dave");
        expect(guess.x_kvshare.mode).toBe("none");
        expect(guess.x_kvshare.reused_tokens).toBe(0);
        expect(guess.x_kvshare.donor).toBeUndefined();
        expect(guess.usage.prompt_tokens_details.cached_tokens).toBe(0);
        expect(guess.timings.cache_n).toBe(0);
        expect((await health(server)).slots_idle).toBe(1);
    });

    it("does reuse within a shared scope", async () => {
        await ask("alice", withSecret("Ben Jones"));
        const carol = (await ask("carol", withSecret("Ben Janes"))).body;
        expect(carol.x_kvshare.scope).toBe("group:ward-1");
        expect(carol.x_kvshare.reused_tokens).toBeGreaterThan(carol.x_kvshare.prompt_tokens / 2);
        // Whether from alice's sequence (prefix) or her cached snapshot (semantic), the reuse is in-scope.
        expect(["prefix", "semantic"]).toContain(carol.x_kvshare.mode);
    });
});

describe("a donor's text", () => {
    it("is shown to its own sender only, though its KV is shared with the scope", async () => {
        const detail = {x_kvshare_detail: true};
        await ask("alice", withSecret("Fay Lund"));
        // Carol, in alice's ward, reuses alice's KV under the app's key, as every profile of the desktop does.
        const carol = (await ask("carol", withSecret("Fay Lunde"), detail)).body.x_kvshare;
        expect(carol.mode).toBe("semantic");
        expect(carol.reused_tokens).toBeGreaterThan(carol.prompt_tokens / 2);
        expect(carol.donor).toMatchObject({prompt_hidden: true});
        expect(carol.donor?.prompt).toBeUndefined();
        expect(carol.donor?.tier).toBeUndefined();
        expect(carol.donor_pieces).toBeUndefined();
        expect(JSON.stringify(carol)).not.toContain("Fay Lund.");
        expect(carol.prompt_pieces?.join("")).toContain("Fay Lunde");
        // Alice's own paraphrase shows her donor's text.
        const alice = (await ask("alice", withSecret("Fay Lunds"), detail)).body.x_kvshare;
        expect(alice.mode).toBe("semantic");
        expect(alice.donor?.prompt_hidden).toBeUndefined();
        expect(alice.donor?.prompt).toContain("Fay Lund.");
        expect(alice.donor?.prompt).not.toContain("Lunde");
        expect(alice.donor_pieces?.join("")).toContain("Fay Lund");
    });
});

describe("in-flight donors keep to their scope", () => {
    const askNow = async (user: string, content: string) => {
        const res = await server.api("/v1/chat/completions", {
            method: "POST",
            json: {messages: [{role: "user", content}], max_tokens: 8, temperature: 0, user}
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as ChatCompletion).x_kvshare;
    };

    it("offers a just-served prompt, before its file is written, to its own scope only", async () => {
        // Back to back, no wait for the cache write: alice's KV is a donor from memory at this point.
        await askNow("alice", withSecret("Dee Park"));
        const bob = await askNow("bob", withSecret("Dee Parks"));
        expect(bob.scope).toBe("group:ward-2");
        // Bob may reuse his own ward's earlier notes, never alice's fresh one.
        if (bob.donor != null) expect(bob.donor.prompt).not.toContain("Dee Park");
        expect(bob.mode).not.toBe("prefix");
        await askNow("alice", withSecret("Eve Park"));
        const carol = await askNow("carol", withSecret("Eve Parks"));
        expect(carol.reused_tokens).toBeGreaterThan(carol.prompt_tokens / 2);
        // Alice's prompt, shared with her ward: its KV reused, its text not shown to another sender.
        if (carol.mode === "semantic") expect(carol.donor).toMatchObject({prompt_hidden: true});
        await server.core.requirePipeline().settled();
    });
});
