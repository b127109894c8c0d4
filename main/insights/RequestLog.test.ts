import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {APP_DB_VERSION, openAppDb} from "../admin/appDb.js";
import {asOfSchemaStep} from "../admin/__tests__/earlierAppDb.js";
import {QualityStore} from "./QualityStore.js";
import {RequestLog, type RequestLogEntry} from "./RequestLog.js";

let dir: string;
let db: Database.Database;
let days = 30;
let share = 0;

function log(extra: Partial<ConstructorParameters<typeof RequestLog>[0]> = {}): RequestLog {
    return new RequestLog({db: () => db, retentionDays: () => days, replayShare: () => share, flushMs: 5, ...extra});
}

function entry(over: Partial<RequestLogEntry> = {}): RequestLogEntry {
    return {
        at: Date.now(),
        user: "nurse-1",
        scope: "group:ward-3",
        mode: "semantic",
        promptTokens: 40,
        reusedTokens: 30,
        completionTokens: 8,
        ttftMs: 12,
        donorId: 5,
        donorSimilarity: 0.8,
        prefixFloor: 2,
        minGain: 4,
        threshold: 0.3,
        budget: 0.15,
        candidates: [[0.8, 32]],
        budgetReuse: [32, 30],
        replayTokens: [1, 2, 3],
        ...over
    };
}

beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-requestlog-"));
    db = openAppDb(path.join(dir, "app.db"));
    days = 30;
    share = 0;
});
afterEach(() => {
    if (db.open) db.close();
    fs.rmSync(dir, {recursive: true, force: true});
});

describe("RequestLog in app.db", () => {
    it("keeps requests across a reopen of the database (history survives a restart)", async () => {
        const first = log();
        first.add(entry({user: "a", scope: "global", mode: "none", reusedTokens: 0}));
        first.add(entry({user: "b"}));
        await new Promise((resolve) => setTimeout(resolve, 30)); // the batch timer writes them
        db.close();
        db = openAppDb(path.join(dir, "app.db"));
        const rows = log().since(0);
        expect(rows.map((r) => [r.user, r.scope, r.mode, r.reusedTokens, r.donorId ?? null])).toEqual([
            ["a", "global", "none", 0, 5],
            ["b", "group:ward-3", "semantic", 30, 5]
        ]);
    });

    it("filters by scope and lists the scopes by activity", () => {
        const l = log();
        for (const scope of ["group:ward-3", "group:ward-3", "global"]) l.add(entry({scope}));
        expect(l.since(0, "global")).toHaveLength(1);
        expect(l.scopes()).toEqual(["group:ward-3", "global"]);
    });

    it("serves what-if rows from memory and tops them up with new requests only", () => {
        const l = log();
        l.add(entry({candidates: [[0.9, 10]]}));
        l.add(entry({candidates: undefined})); // sharing off: not a what-if row
        const firstView = l.whatIfRows(2);
        expect(firstView).toHaveLength(1);
        expect(firstView[0]!.candidates[0]![0]).toBeCloseTo(0.9, 6);
        l.add(entry({candidates: [[0.5, 20]]}));
        l.add(entry({candidates: [[0.4, 30]]}));
        expect(l.whatIfRows(2).map((r) => r.candidates[0]![1])).toEqual([20, 30]);
        expect(l.whatIfRows(10, "group:ward-3")).toHaveLength(3);
        expect(l.whatIfRows(10, "global")).toHaveLength(0);
    });

    it("keeps a request's tokens only when it is sampled for a quality check, until it is checked", () => {
        share = 1;
        const l = log({random: () => 0.5});
        l.add(entry({replayTokens: [7, 8, 9]}));
        l.add(entry({mode: "prefix", donorId: undefined, replayTokens: [1]}));
        share = 0.4;
        l.add(entry({replayTokens: [4]}));
        const pending = l.replays.pending(10);
        expect(pending.map((p) => p.tokens)).toEqual([[7, 8, 9]]);
        expect(pending[0]).toMatchObject({scope: "group:ward-3", donorId: 5, budget: 0.15, donorSimilarity: 0.8});
        l.replays.drop(pending[0]!.id);
        expect(l.replays.pending(10)).toEqual([]);
    });

    it("forgets the kept prompts a deleted cached prompt begins with (in its scope), those of one user, or all", () => {
        share = 1;
        const l = log();
        l.add(entry({replayTokens: [7, 8, 9]}));
        l.add(entry({replayTokens: [7, 8, 9], scope: "group:ward-4"}));
        l.add(entry({replayTokens: [7, 8, 1]}));
        l.add(entry({replayTokens: [5, 6], user: "nurse-2"}));
        // The cached entry holds the prompt and its answer: [7, 8, 9] then [4, 4].
        l.replays.dropOfPrompt("group:ward-3", [7, 8, 9, 4, 4]);
        expect(l.replays.pending(10).map((p) => [p.scope, p.tokens])).toEqual([
            ["group:ward-3", [5, 6]],
            ["group:ward-3", [7, 8, 1]],
            ["group:ward-4", [7, 8, 9]]
        ]);
        l.replays.dropOf("nurse-2");
        expect(l.replays.pending(10)).toHaveLength(2);
        l.replays.dropAll();
        expect(l.replays.pending(10)).toEqual([]);
    });

    it("goes on when its writes fail (a full disk): the rows are lost with one warning, a checked replay is not offered again", () => {
        share = 1;
        const warnings: string[] = [];
        const l = log({random: () => 0.5, warn: (message) => warnings.push(message)});
        l.add(entry({replayTokens: [7, 8, 9]}));
        const [pending] = l.replays.pending(10);
        const writable = db;
        db = new Database(path.join(dir, "app.db"), {readonly: true});
        try {
            expect(() => l.replays.drop(pending!.id)).not.toThrow();
            expect(l.replays.pending(10)).toEqual([]);
            expect(l.replays.count()).toBe(0);
            l.add(entry());
            l.add(entry());
            expect(() => l.flush()).not.toThrow();
            l.add(entry());
            expect(() => l.flush()).not.toThrow();
            expect(warnings).toEqual([
                `could not mark request ${pending!.id} as checked: attempt to write a readonly database`,
                "could not write 2 request log rows: attempt to write a readonly database"
            ]);
        } finally {
            db.close();
            db = writable;
        }
        expect(l.since(0)).toHaveLength(1);
    });

    it("keeps the recompute policy a request was served with for its replay", () => {
        share = 1;
        const l = log();
        l.add(entry({recomputePolicy: "boundary", replayTokens: [1, 2]}));
        l.add(entry({replayTokens: [3, 4]}));
        // newest first
        expect(l.replays.pending(10).map((p) => [p.tokens, p.recomputePolicy])).toEqual([
            [[3, 4], undefined],
            [[1, 2], "boundary"]
        ]);
    });

    it("migrates a database of an earlier schema: its requests and checks stay, their replays use the scope's policy", () => {
        db.close();
        fs.rmSync(dir, {recursive: true, force: true});
        fs.mkdirSync(dir);
        // An app.db as an earlier version left it: schema step 2, one request waiting for its check, one check.
        const file = path.join(dir, "app.db");
        const old = openAppDb(file);
        asOfSchemaStep(old, 2);
        old.prepare(
            "INSERT INTO request_log (at, user, scope, mode, prompt_tokens, reused_tokens, completion_tokens, ttft_ms, donor_id, budget, replay_tokens) VALUES (?, 'a', 'global', 'semantic', 3, 2, 8, 5, 7, 0.15, ?)"
        ).run(Date.now(), Buffer.from(new Int32Array([5, 6, 7]).buffer));
        old.prepare(
            `INSERT INTO quality_checks (request_id, at, scope, policy, budget, similarity, checked_tokens, matched_tokens, rouge_l, full_ms, shared_ms)
            VALUES (1, ?, 'global', 'global', 0.15, 0.9, 8, 6, 0.8, 1, 1)`
        ).run(Date.now());
        old.close();
        db = openAppDb(file);
        expect(db.pragma("user_version", {simple: true})).toBe(APP_DB_VERSION);
        share = 1;
        const l = log();
        const [row] = l.replays.pending(10);
        expect(row).toMatchObject({tokens: [5, 6, 7], donorId: 7, budget: 0.15});
        expect(row!.recomputePolicy).toBeUndefined();
        l.add(entry({recomputePolicy: "dhd-decode"}));
        expect(l.replays.pending(10)[0]!.recomputePolicy).toBe("dhd-decode");
        // The old check still counts overall; no policy's budget curve claims it.
        const checks = new QualityStore(() => db);
        expect(checks.summary(0, undefined, {share: 1, pending: 0})).toMatchObject({checks: 1, agreement: 0.75});
        expect(checks.byBudget(0, undefined, "dhd-decode").every((b) => b.checks === 0)).toBe(true);
    });

    it("drops requests and checks past the retention, and the oldest beyond the row cap", () => {
        const l = log({maxRows: 3});
        const now = Date.now();
        const checks = new QualityStore(() => db);
        l.add(entry({at: now - 10 * 86_400_000, user: "old"}));
        for (const user of ["a", "b", "c", "d"]) l.add(entry({at: now, user}));
        checks.record({
            requestId: 1,
            at: now - 10 * 86_400_000,
            scope: "global",
            policy: "global",
            budget: 0.15,
            similarity: 0.8,
            checkedTokens: 4,
            matchedTokens: 4,
            rougeL: 1,
            fullMs: 1,
            sharedMs: 1
        });
        l.flush();
        days = 7;
        l.prune(db, now);
        expect(l.since(0).map((r) => r.user)).toEqual(["b", "c", "d"]);
        expect(checks.summary(0, undefined, {share: 0, pending: 0}).checks).toBe(0);
    });
});

describe("QualityStore", () => {
    it("sums agreement overall, per similarity band and per budget step", () => {
        const checks = new QualityStore(() => db);
        const base = {requestId: 1, at: Date.now(), scope: "group:ward-3", policy: "group", fullMs: 1, sharedMs: 1};
        checks.record({...base, budget: 0.15, similarity: 0.9, checkedTokens: 10, matchedTokens: 10, rougeL: 1});
        checks.record({...base, budget: 0.14, similarity: 0.6, checkedTokens: 10, matchedTokens: 6, rougeL: 0.8});
        checks.record({...base, scope: "global", budget: 0, similarity: 1, checkedTokens: 20, matchedTokens: 0, rougeL: 0.5});
        // A probe at another budget counts for that budget step only.
        checks.record({...base, budget: 0.5, similarity: 0.9, checkedTokens: 10, matchedTokens: 2, rougeL: 0.3, probe: true});
        const all = checks.summary(0, undefined, {share: 0.25, pending: 3});
        expect(all).toMatchObject({checks: 3, checkedTokens: 40, matchedTokens: 16, agreement: 0.4, share: 0.25, pending: 3});
        expect(all.rougeL).toBeCloseTo(2.3 / 3, 12);
        expect(all.bands.map((b) => b.checks)).toEqual([0, 1, 0, 1, 1]);
        expect(all.budgets.find((b) => b.budget === 0.15)).toMatchObject({checks: 2, agreement: 0.8});
        expect(all.budgets.find((b) => b.budget === 0)).toMatchObject({checks: 1, agreement: 0});
        expect(all.budgets.find((b) => b.budget === 0.5)).toMatchObject({checks: 1, agreement: 0.2});
        // Raising the threshold keeps the checks at or above it (probes aside).
        const kept = checks.atOrAbove(0, undefined, 101);
        expect(kept[0]).toBeCloseTo(16 / 40, 12);
        expect(kept[60]).toBeCloseTo(16 / 40, 12);
        expect(kept[61]).toBeCloseTo(10 / 30, 12);
        expect(kept[100]).toBe(0);
        const ward = checks.summary(0, "group:ward-3", {share: 0.25, pending: 0});
        expect(ward.checks).toBe(2);
        expect(ward.agreement).toBe(0.8); // The budget curve of one recompute policy counts that policy's checks only.
        checks.record({...base, recomputePolicy: "dhd", budget: 0.15, similarity: 0.9, checkedTokens: 10, matchedTokens: 5, rougeL: 0.5});
        checks.record({...base, recomputePolicy: "dhd", budget: 0.3, similarity: 0.9, checkedTokens: 10, matchedTokens: 9, rougeL: 0.9, probe: true});
        checks.record({...base, recomputePolicy: "boundary", budget: 0.15, similarity: 0.9, checkedTokens: 10, matchedTokens: 1, rougeL: 0.1});
        const dhd = checks.byBudget(0, undefined, "dhd");
        expect(dhd.find((b) => b.budget === 0.15)).toMatchObject({checks: 1, agreement: 0.5});
        expect(dhd.find((b) => b.budget === 0.3)).toMatchObject({checks: 1, agreement: 0.9});
        expect(dhd.reduce((sum, b) => sum + b.checks, 0)).toBe(2);
        expect(checks.byBudget(0, "global", "dhd").every((b) => b.checks === 0)).toBe(true);
        expect(checks.byBudget(0).find((b) => b.budget === 0.15)?.checks).toBe(4);
        // The dashboard compares the policies the served checks ran under (probes and checks without a policy left
        // out), most checks first, ties in the settings' order.
        expect(checks.summary(0, undefined, {share: 0.25, pending: 0}).policies).toEqual([
            {policy: "boundary", checks: 1, checkedTokens: 10, matchedTokens: 1, agreement: 0.1, rougeL: 0.1},
            {policy: "dhd", checks: 1, checkedTokens: 10, matchedTokens: 5, agreement: 0.5, rougeL: 0.5}
        ]);
        checks.record({...base, recomputePolicy: "dhd", budget: 0.15, similarity: 0.9, checkedTokens: 10, matchedTokens: 7, rougeL: 0.7});
        expect(checks.summary(0, undefined, {share: 0.25, pending: 0}).policies.map((p) => [p.policy, p.checks])).toEqual([
            ["dhd", 2],
            ["boundary", 1]
        ]);
    });
});
