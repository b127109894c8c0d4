import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {CacheStats, WhatIfCurves} from "../../shared/admin.js";
import {QualityMonitor} from "../../main/insights/QualityMonitor.js";
import {budgetLadder} from "../../main/sharing/policy/index.js";
import {startTestServer, type TestServer} from "../support/testServer.js";
import {completeAndSettle} from "../support/complete.js";

const lily =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball. One day, she saw a big dog near the tree.";
const tom = lily.replace("a little girl named Lily. She", "a little boy named Tom. He").replace("her red ball", "his red ball");
const sam = lily.replace("a little girl named Lily. She", "a little boy named Sam. He").replace("the park", "the garden");
const groups = {amy: "ward-1", ben: "ward-2", cal: "ward-3"};
const overrides = {threads: 1, sharing: {scopePolicy: "group" as const, groups}};

const complete = completeAndSettle;

async function getJson<T>(server: TestServer, pathname: string): Promise<T> {
    const res = await server.api(pathname);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error("timed out");
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
}

let server: TestServer;
let dataDir: string;
beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-tuning-"));
    server = await startTestServer({dataDir, overrides});
    expect(server.core.requirePipeline().runtime.scratch, "these tests need the patched binary (npm run build:native)").toBeDefined();
});
afterAll(async () => {
    await server.close();
    fs.rmSync(dataDir, {recursive: true, force: true});
});

/** A quality monitor of the test server's own that checks every sampled request after 20 ms of quiet. */
function testMonitor(extra: {maxTokens?: number} = {}): QualityMonitor {
    return new QualityMonitor({
        pipeline: () => server.core.pipeline,
        requestLog: server.core.requestLog,
        checks: server.core.qualityChecks,
        share: () => 1,
        log: server.core.log,
        idleMs: 20,
        pollMs: 5,
        ...extra
    });
}

describe("what-if curves and request history from real requests", () => {
    let donorSimilarity = 0;

    it("draws the threshold curve from the logged requests: the paraphrase is a donor hit up to its similarity and no further", async () => {
        await complete(server, lily, "amy");
        const hit = await complete(server, tom, "amy");
        expect(hit.mode).toBe("semantic");
        donorSimilarity = hit.donor!.similarity;

        const curves = await getJson<WhatIfCurves>(server, "/kvshare/whatif?scope=group%3Award-1");
        expect(curves.requests).toBe(2);
        expect(curves.servedFromDonor).toBe(1);
        expect(curves.current).toEqual({similarityThreshold: 0.3, recomputeBudget: 0.15, recomputePolicy: "dhd-decode"});
        const below = Math.floor(donorSimilarity * 100);
        // One of the two requests (the paraphrase) is served from a donor at every threshold up to its similarity.
        expect(curves.threshold.hitRate[below]).toBe(0.5);
        expect(curves.threshold.hitRate[0]).toBe(0.5);
        expect(curves.threshold.hitRate[below + 1]).toBe(0);
        expect(curves.threshold.reusedTokens[below]).toBeGreaterThanOrEqual(hit.reused_tokens);
        // The budget curve: the donor request's reuse falls as the budget grows; no checks yet (the monitor is off in the API).
        expect(curves.budget.donorRequests).toBe(1);
        expect(curves.budget.reusedTokens[0]).toBeGreaterThan(curves.budget.reusedTokens.at(-1)!);
        expect(curves.budget.agreement.every((a) => a === null)).toBe(true);
        expect(curves.threshold.agreement.every((a) => a === null)).toBe(true);
    });

    it("applies a scope's own threshold to that scope only, with the global one beneath", async () => {
        const res = await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {scopeOverrides: {"group:ward-2": {similarityThreshold: 0.99}}}}});
        expect(res.status).toBe(200);
        await complete(server, lily, "ben");
        const refused = await complete(server, tom, "ben");
        expect(refused.mode).not.toBe("semantic");
        expect(refused.note).toMatch(/threshold/);

        await complete(server, lily, "cal");
        expect((await complete(server, tom, "cal")).mode).toBe("semantic");

        const ward2 = await getJson<WhatIfCurves>(server, "/kvshare/whatif?scope=group%3Award-2");
        expect(ward2.current.similarityThreshold).toBe(0.99);
        // The curve still knows what the global threshold would have given ward-2.
        expect(ward2.threshold.hitRate[30]).toBe(0.5);
        expect(ward2.threshold.hitRate[99]).toBe(0);
        // Beside the replay (one hit in two at the global 0.3), what was served: none, the override turned ben's paraphrase down.
        expect(ward2.requests).toBe(2);
        expect(ward2.servedFromDonor).toBe(0);
        expect(ward2.costGate).toBe(false);
        const bad = await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {scopeOverrides: {"ward-2": {similarityThreshold: 0.5}}}}});
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as {error: {param: string}}).error.param).toBe("sharing.scopeOverrides.ward-2");
    });

    it("gives a group admin's view of one scope, without other scopes' donor texts", async () => {
        const all = await getJson<CacheStats>(server, "/kvshare/cache/stats");
        expect(all.totals.requests).toBe(6);
        expect(all.scopes.sort()).toEqual(["group:ward-1", "group:ward-2", "group:ward-3"]);
        const ward3 = await getJson<CacheStats>(server, "/kvshare/cache/stats?scope=group%3Award-3");
        expect(ward3.scope).toBe("group:ward-3");
        expect(ward3.totals.requests).toBe(2);
        expect(ward3.totals.donorHits).toBe(1);
        expect(ward3.topDonors.every((d) => d.scope === "group:ward-3" && d.prompt === lily)).toBe(true);
        // The memory tier (every scope's donors) in the whole cache's view only, against its budget; a lowered budget
        // shows at once.
        expect(all.cache.memoryBytes).toBe(server.core.cache!.memoryBytes);
        expect(all.cache.memoryBytes).toBeGreaterThan(0);
        expect(all.cache.memoryBudgetBytes).toBe(server.core.settings.sharing.maxMemoryBytes);
        expect(ward3.cache.memoryBytes).toBeNull();
        const budget = server.core.settings.sharing.maxMemoryBytes;
        try {
            expect((await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {maxMemoryBytes: 0}}})).status).toBe(200);
            expect((await getJson<CacheStats>(server, "/kvshare/cache/stats")).cache).toMatchObject({memoryBytes: 0, memoryBudgetBytes: 0});
        } finally {
            await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {maxMemoryBytes: budget}}});
        }
    });

    it("lets a group's own key read its group's numbers, and nothing of other scopes or anyone's texts", async () => {
        const wardKey = server.core.keys.create("ward3-lead", "ward-3").key;
        const res = await server.api("/kvshare/scope/stats", {headers: {authorization: `Bearer ${wardKey}`}});
        expect(res.status).toBe(200);
        const view = (await res.json()) as CacheStats;
        expect(view.scope).toBe("group:ward-3");
        expect(view.scopes).toEqual(["group:ward-3"]);
        expect(view.totals.requests).toBe(2);
        expect(view.topDonors.length).toBeGreaterThan(0);
        expect(view.topDonors.every((d) => d.prompt === null)).toBe(true);
        // Nothing that counts across scopes: opaque donor ids, no sizes, the group's own cache totals.
        expect(view.topDonors.every((d) => server.core.cache!.get(d.id) == null && d.bytes === null && d.lifetimeHits === d.hits)).toBe(true);
        expect(view.cache.entries).toBe(server.core.cache!.scopeTotals("group:ward-3").entries);
        expect(view.cache.entries).toBeLessThan(server.core.cache!.count());
        // The full dashboard stays the app's own.
        expect((await server.api("/kvshare/cache/stats", {headers: {authorization: `Bearer ${wardKey}`}})).status).toBe(403);
        // A key in no group has a scope of its own: no one else's requests.
        const lone = server.core.keys.create("lone-app");
        const loneView = (await (await server.api("/kvshare/scope/stats", {headers: {authorization: `Bearer ${lone.key}`}})).json()) as CacheStats;
        // Keyed by the key's id, never its name.
        expect(loneView.scope).toBe(`user:key/${lone.entry.id}`);
        expect(loneView.totals.requests).toBe(0);
    });

    it("keeps the history, the curves and the overrides across a restart", async () => {
        await server.close();
        server = await startTestServer({dataDir, overrides});
        const stats = await getJson<CacheStats>(server, "/kvshare/cache/stats");
        expect(stats.totals.requests).toBe(6);
        expect(stats.totals.donorHits).toBe(2);
        const curves = await getJson<WhatIfCurves>(server, "/kvshare/whatif");
        expect(curves.requests).toBe(6);
        expect(server.core.settings.sharing.scopeOverrides).toEqual({"group:ward-2": {similarityThreshold: 0.99}});
    });
});

describe("idle quality monitor on real requests", () => {
    it("replays a sampled shared-KV request when idle, in its scope, and records the agreement with full compute", async () => {
        server.core.monitorDefaultShare = 1;
        // dan is in no group: a scope of his own (user:dan), fresh, so only the paraphrase is served from shared KV.
        await complete(server, lily, "dan");
        const record = await complete(server, sam, "dan");
        expect(record.mode).toBe("semantic");
        expect(server.core.requestLog.replays.pending(10)).toHaveLength(1);
        // The core's own monitor checks it after ~2 s of quiet.
        await waitFor(() => server.core.qualityMonitor.counts.checked >= 1, 30_000);
        const stats = await getJson<CacheStats>(server, "/kvshare/cache/stats?scope=user%3Adan");
        expect(stats.quality.checks).toBe(1);
        // The replay runs the decode stage the request ran (the default policy, dhd-decode), so the check measures what was served.
        expect(record.decode_recompute?.tokens).toBeGreaterThan(0);
        expect(server.core.qualityMonitor.counts.decodeRecomputed).toBeGreaterThan(0);
        expect(stats.quality.checkedTokens).toBeGreaterThan(0);
        expect(stats.quality.agreement).toBeGreaterThanOrEqual(0);
        expect(stats.quality.agreement).toBeLessThanOrEqual(1);
        expect(stats.quality.rougeL).toBeGreaterThanOrEqual(0);
        expect(stats.quality.rougeL).toBeLessThanOrEqual(1);
        // Another scope's view does not see it; the request's tokens are forgotten once checked.
        expect((await getJson<CacheStats>(server, "/kvshare/cache/stats?scope=group%3Award-3")).quality.checks).toBe(0);
        expect(server.core.requestLog.replays.pending(10)).toEqual([]);
        // The checks feed the budget curve at the request's budget.
        const curves = await getJson<WhatIfCurves>(server, "/kvshare/whatif");
        expect(curves.budget.checks[curves.budget.x.indexOf(0.15)]).toBe(1);
        // …and the threshold curve: the check counts at every threshold up to its donor's similarity.
        const similarityStep = Math.floor(record.donor!.similarity * 100);
        expect(curves.threshold.agreement[similarityStep]).toBe(stats.quality.agreement);
        expect(curves.threshold.agreement[0]).toBe(stats.quality.agreement);
    });

    it("stops a replay between two tokens when a request arrives, and checks it later", async () => {
        await server.core.qualityMonitor.stop();
        // A monitor that decodes long answers, so that a request surely arrives mid-replay.
        const monitor = testMonitor({maxTokens: 400});
        try {
            await complete(server, lily, "eve");
            await complete(server, lily.replace("red ball", "blue kite"), "eve");
            expect(server.core.requestLog.replays.pending(10)).toHaveLength(1);
            monitor.start();
            await waitFor(() => monitor.replaying, 10_000);
            const started = performance.now();
            const res = await server.api("/v1/completions", {method: "POST", json: {prompt: "The cat sat", max_tokens: 4, temperature: 0, user: "cal"}});
            expect(res.status).toBe(200);
            const timings = ((await res.json()) as {timings: {queue_ms?: number}}).timings;
            expect(monitor.counts.yielded).toBe(1);
            // Nobody waited for the replay: the request took a free sequence at once.
            expect(timings.queue_ms ?? 0).toBeLessThan(50);
            expect(performance.now() - started).toBeLessThan(5_000);
            await waitFor(() => monitor.counts.checked >= 1, 60_000);
            expect(server.core.requestLog.replays.pending(10)).toEqual([]);
        } finally {
            await monitor.stop();
        }
    });

    it("replays a request with the recompute policy it was served with, not its scope's", async () => {
        await server.core.qualityMonitor.stop();
        const monitor = testMonitor();
        server.core.monitorDefaultShare = 1;
        try {
            await complete(server, lily, "fay");
            // The scope runs dhd-decode (the default); this request asks for boundary, which has no decode stage.
            const res = await server.api("/v1/completions", {
                method: "POST",
                json: {prompt: tom, max_tokens: 8, temperature: 0, user: "fay", x_kvshare: {recompute_policy: "boundary"}}
            });
            expect(res.status).toBe(200);
            const record = ((await res.json()) as {x_kvshare: {mode: string; recompute_policy?: string; decode_recompute?: unknown}}).x_kvshare;
            await server.core.requirePipeline().settled();
            expect(record).toMatchObject({mode: "semantic", recompute_policy: "boundary"});
            expect(record.decode_recompute).toBeUndefined();
            expect(server.core.requestLog.replays.pending(10).map((row) => row.recomputePolicy)).toEqual(["boundary"]);
            monitor.start();
            await waitFor(() => monitor.counts.checked >= 1, 60_000);
            // Replayed under the scope's dhd-decode, the check would have run a decode stage.
            expect(monitor.counts.decodeRecomputed).toBe(0);
        } finally {
            await monitor.stop();
        }
    });

    it("puts the budget in use on the budget curve at the reuse the request got, under its own recompute policy", async () => {
        await server.core.qualityMonitor.stop();
        server.core.monitorDefaultShare = 1;
        await complete(server, lily, "gil");
        const ladderStep = budgetLadder.indexOf(0.15);
        const prompts: Record<string, string> = {none: tom, boundary: sam, dhd: lily.replace("red ball", "blue kite")};
        const reused: Record<string, number> = {};
        for (const policy of ["none", "boundary", "dhd"]) {
            const res = await server.api("/v1/completions", {
                method: "POST",
                json: {prompt: prompts[policy], max_tokens: 4, temperature: 0, user: "gil", x_kvshare: {recompute_policy: policy}}
            });
            expect(res.status).toBe(200);
            const record = ((await res.json()) as {x_kvshare: {mode: string; reused_tokens: number; recompute_policy?: string}}).x_kvshare;
            await server.core.requirePipeline().settled();
            expect(record).toMatchObject({mode: "semantic", recompute_policy: policy});
            reused[policy] = record.reused_tokens;
            const [row] = server.core.requestLog.whatIfRows(1, "user:gil");
            expect(row!.budgetReuse![ladderStep], policy).toBe(record.reused_tokens);
            // with none the budget recomputes nothing: the same reuse at every budget
            if (policy === "none") expect(new Set(row!.budgetReuse).size).toBe(1);
        }
        // …and its quality check belongs at budget 0; the others' at the budget in use
        const replays = server.core.requestLog.replays.pending(10).filter((r) => r.scope === "user:gil");
        expect(replays.map((r) => [r.recomputePolicy, r.budget])).toEqual([
            ["dhd", 0.15],
            ["boundary", 0.15],
            ["none", 0]
        ]);
        // Checked: each at its own budget, plus one other budget of the ladder for the two whose budget matters.
        const monitor = testMonitor();
        try {
            monitor.start();
            // the third check's probe (if any) runs after it is counted: wait until the monitor is idle again
            await waitFor(() => monitor.counts.checked >= 3 && !monitor.replaying, 60_000);
            await monitor.stop();
            const budgets = server.core.qualityChecks.byBudget(0, "user:gil").filter((b) => b.checks > 0);
            expect(budgets.reduce((sum, b) => sum + b.checks, 0)).toBe(5);
            expect(budgets.find((b) => b.budget === 0)?.checks).toBe(1);
        } finally {
            await monitor.stop();
        }
        // The what-if budget curve is one policy's: its reuse and its checks only (the scope's own policy by default).
        const scoped = await getJson<WhatIfCurves>(server, "/kvshare/whatif?scope=user%3Agil");
        expect(scoped.current.recomputePolicy).toBe("dhd-decode");
        expect(scoped.budget).toMatchObject({policy: "dhd-decode", donorRequests: 0});
        expect(scoped.budget.checks.every((c) => c === 0)).toBe(true);
        expect(scoped.budget.policies.map((p) => p.policy).sort()).toEqual(["boundary", "dhd", "none"]);
        for (const policy of ["none", "boundary", "dhd"]) {
            const curves = await getJson<WhatIfCurves>(server, `/kvshare/whatif?scope=user%3Agil&recomputePolicy=${policy}`);
            expect(curves.budget.policy).toBe(policy);
            expect(curves.budget.donorRequests, policy).toBe(1);
            expect(curves.budget.reusedTokens[ladderStep], policy).toBe(reused[policy]);
            // the served check, and for the policies a budget changes one probe at another budget
            expect(
                curves.budget.checks.reduce((a, b) => a + b, 0),
                policy
            ).toBe(policy === "none" ? 1 : 2);
            expect(curves.budget.checks[policy === "none" ? 0 : ladderStep], policy).toBe(1);
        }
        // …and the dashboard compares the policies' served checks side by side.
        const stats = await getJson<CacheStats>(server, "/kvshare/cache/stats?scope=user%3Agil");
        expect(stats.quality.policies.map((p) => [p.policy, p.checks]).sort()).toEqual([
            ["boundary", 1],
            ["dhd", 1],
            ["none", 1]
        ]);
        const refused = await server.api("/kvshare/whatif?recomputePolicy=fastest");
        expect(refused.status).toBe(400);
        expect(((await refused.json()) as {error: {param: string}}).error.param).toBe("recomputePolicy");
    });
});
