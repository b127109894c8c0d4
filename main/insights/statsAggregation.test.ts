import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {oldCacheStats} from "../../bench/stats/oldCacheStats.js";
import {openAppDb} from "../admin/appDb.js";
import type {CacheAdmin} from "../admin/ports.js";
import {cacheStats, type StatsDeps} from "../admin/statsService.js";
import {sharedScope} from "../sharing/engine/scopes.js";
import {QualityStore} from "./QualityStore.js";
import {RequestLog, type RequestLogEntry} from "./RequestLog.js";
import {kthSmallest, medianOf} from "./StatsColumns.js";

/** A small deterministic generator (the same rows every run). */
function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state * 1664525 + 1013904223) >>> 0;
        return state / 2 ** 32;
    };
}

const now = 1_750_000_000_000;
const dayMs = 86_400_000;
// Scopes whose order SQLite and JavaScript would sort differently (UTF-8 bytes against UTF-16 units) and tie.
const scopes = ["global", "group:ward-3", "group:ward-1", "user:ann", "user:\u{1F600}", "user:\uFF21", sharedScope];

let dir: string;
let db: Database.Database;

function rows(count: number, next: () => number, base = now): RequestLogEntry[] {
    return Array.from({length: count}, () => {
        const reuse = next();
        const promptTokens = next() < 0.03 ? 0 : 1 + Math.floor(next() * 400);
        const reusedTokens = reuse < 0.35 ? 0 : Math.floor(next() * promptTokens);
        const donor = reusedTokens > 0 && next() < 0.6 ? 1 + Math.floor(next() * 30) : undefined;
        const stages: Record<string, number> | undefined =
            next() < 0.2
                ? undefined
                : next() < 0.5
                  ? {embed_ms: next() * 3, retrieve_ms: Math.floor(next() * 4), align_ms: next() * 2, prefill_ms: 9}
                  : {embed_ms: Math.floor(next() * 5)};
        return {
            // 10 days back, a few out of order and a few in the future (a clock set back).
            at: Math.round(base - next() * 10 * dayMs + (next() < 0.01 ? 5 * 60_000 : 0)),
            user: "u",
            scope: scopes[Math.floor(next() ** 2 * scopes.length)]!,
            mode: donor != null ? "semantic" : reusedTokens > 0 ? "prefix" : "none",
            promptTokens,
            reusedTokens,
            completionTokens: 4,
            // Fractional, some below the queue wait (clamped to 0), some equal (ties for the medians).
            ttftMs: next() < 0.1 ? 25 : next() * 300,
            ...(next() < 0.5 ? {queueMs: next() < 0.1 ? 400 : next() * 20} : {}),
            ...(donor == null ? {} : {donorId: donor, donorSimilarity: 0.7}),
            ...(stages == null ? {} : {stages})
        };
    });
}

function deps(log: RequestLog): StatsDeps {
    const cached = new Map(
        Array.from({length: 30}, (_, i) => [i + 1, {scope: scopes[i % scopes.length]!, promptText: `prompt ${i + 1}`, hitCount: 100 + i, bytes: 1000 * i}])
    );
    cached.delete(3);
    const store: Pick<CacheAdmin, "get" | "count" | "totalBytes" | "scopeTotals"> = {
        get: (id) => cached.get(id),
        count: () => cached.size,
        totalBytes: () => 123_456,
        scopeTotals: (scope) => ({entries: scope.length, bytes: 77})
    };
    return {
        requestLog: log,
        qualityChecks: new QualityStore(() => db),
        cache: () => store as CacheAdmin,
        settings: {sharing: {historyDays: 30, maxSnapshotBytes: 5e9}} as StatsDeps["settings"],
        monitorShare: () => 0.25
    };
}

const inputs: Array<{bucketMs?: number; since?: number; scope?: string}> = [
    {},
    {scope: "group:ward-3"},
    {scope: "user:\u{1F600}"},
    {scope: sharedScope},
    {scope: "user:nobody"},
    {since: now - 3 * dayMs},
    {since: now - 3 * dayMs, scope: "global"},
    // 240 buckets at most: most rows fall before the first one (in the totals, in no bucket).
    {bucketMs: 60_000},
    {bucketMs: 12_345, scope: "global"},
    {bucketMs: 6 * 3_600_000}
];

function expectSameAsReference(log: RequestLog, at = now): void {
    const d = deps(log);
    for (const input of inputs) expect(cacheStats(d, input, at), JSON.stringify(input)).toEqual(oldCacheStats(d, db, input, at));
}

beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-stats-"));
    db = openAppDb(path.join(dir, "app.db"));
});
afterEach(() => {
    if (db.open) db.close();
    fs.rmSync(dir, {recursive: true, force: true});
});

describe("the dashboard's numbers from the request log's columns", () => {
    it("equal the row-by-row aggregation of the same rows: totals, buckets, TTFT means and medians, prefill speed, donors, scopes", () => {
        const log = new RequestLog({db: () => db, retentionDays: () => 30, replayShare: () => 0, flushMs: 5});
        const next = random(7);
        for (const entry of rows(4000, next)) log.add(entry);
        // Rows right at a window's start and a bucket's edges.
        for (const [i, entry] of rows(6, next).entries()) log.add({...entry, scope: "global", at: i < 3 ? now - 3 * dayMs : now - (i - 3) * 60_000});
        log.flush();
        const stats = cacheStats(deps(log), {}, now);
        // The rows are varied enough to test something.
        expect(stats.totals.requests).toBe(4006);
        expect(stats.totals.hits).toBeGreaterThan(1000);
        expect(stats.totals.requests - stats.totals.hits).toBeGreaterThan(1000);
        expect(stats.totals.donorHits).toBeGreaterThan(500);
        expect(stats.prefill.requests).toBeGreaterThan(1000);
        expect(stats.topDonors).toHaveLength(8);
        expect(stats.scopes).toHaveLength(scopes.length);
        expectSameAsReference(log);

        // Topped up with newer rows (some older than the newest kept: read back in time order), then read afresh.
        for (const entry of rows(700, next, now + 60_000)) log.add(entry);
        log.flush();
        expectSameAsReference(log, now + 120_000);
        expect(cacheStats(deps(log), {}, now).totals.requests).toBe(4706);
        const fresh = new RequestLog({db: () => db, retentionDays: () => 30, replayShare: () => 0, flushMs: 5});
        expect(cacheStats(deps(fresh), {}, now + 120_000)).toEqual(cacheStats(deps(log), {}, now + 120_000));
    });

    it("keeps equal when rows are pruned (retention and row cap) or deleted behind the log's back, and after a clear", () => {
        const log = new RequestLog({db: () => db, retentionDays: () => 8, replayShare: () => 0, flushMs: 5, maxRows: 2000});
        for (const entry of rows(3000, random(11))) log.add(entry);
        log.flush();
        expectSameAsReference(log);
        const retained = (db.prepare("SELECT COUNT(*) AS n FROM request_log WHERE at >= ?").get(now - 8 * dayMs) as {n: number}).n;
        expect(retained).toBeLessThan(2900);
        expect(retained).toBeGreaterThan(2000);
        log.prune(db, now);
        expect(cacheStats(deps(log), {}, now).totals.requests).toBe(2000);
        expectSameAsReference(log);
        db.prepare("DELETE FROM request_log WHERE scope = 'global'").run();
        expectSameAsReference(log);
        log.clear();
        expect(cacheStats(deps(log), {}, now).totals.requests).toBe(0);
        expectSameAsReference(log);
    });

    it("equal the row-by-row aggregation when the database is unavailable (the log kept in memory)", () => {
        const log = new RequestLog({db: () => undefined, retentionDays: () => 30, replayShare: () => 0, flushMs: 5});
        for (const entry of rows(500, random(3))) log.add(entry);
        const d = {...deps(log), qualityChecks: new QualityStore(() => undefined)};
        // (The scopes of a log kept in memory are listed in the order first seen, as before.)
        for (const input of inputs) expect({...cacheStats(d, input, now), scopes: []}).toEqual({...oldCacheStats(d, undefined, input, now), scopes: []});
    });

    it("counts the sampled requests waiting for a check through their own index, not the scope's", () => {
        const plan = db
            .prepare("EXPLAIN QUERY PLAN SELECT COUNT(*) AS n FROM request_log INDEXED BY request_log_replays WHERE replay_tokens IS NOT NULL AND scope = ?")
            .all("global") as Array<{detail: string}>;
        expect(plan.map((row) => row.detail).join(" ")).toContain("request_log_replays");
        const log = new RequestLog({db: () => db, retentionDays: () => 30, replayShare: () => 1, flushMs: 5, random: () => 0});
        for (const entry of rows(300, random(5))) log.add({...entry, ...(entry.donorId == null ? {} : {mode: "semantic", replayTokens: [1, 2]})});
        log.flush();
        const sampled = (scope?: string) =>
            (
                db
                    .prepare(`SELECT COUNT(*) AS n FROM request_log WHERE replay_tokens IS NOT NULL${scope == null ? "" : " AND scope = ?"}`)
                    .get(...(scope == null ? [] : [scope])) as {n: number}
            ).n;
        expect(log.replays.count()).toBe(sampled());
        expect(log.replays.count("global")).toBe(sampled("global"));
        expect(sampled("global")).toBeGreaterThan(0);
    });
});

describe("medianOf", () => {
    it("selects what sorting gives, for odd and even counts, ties and one value", () => {
        const next = random(1);
        for (const length of [1, 2, 3, 4, 5, 10, 101, 1000]) {
            for (const spread of [2, 50, 1e6]) {
                const values = Array.from({length}, () => Math.floor(next() * spread) / 7);
                const sorted = [...values].sort((a, b) => a - b);
                const mid = Math.floor(length / 2);
                expect(medianOf(Float64Array.from(values), length)).toBe(length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2);
                for (const k of [0, mid, length - 1]) expect(kthSmallest(Float64Array.from(values), length, k)).toBe(sorted[k]);
            }
        }
        expect(medianOf(new Float64Array(4), 0)).toBeNull();
    });
});
