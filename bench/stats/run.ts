/**
 * The dashboard's stats call (`GET /kvshare/cache/stats`, polled every 5 s; `/kvshare/scope/stats` costs the same)
 * against the request log's size: how long one call takes, and how long a trivial request arriving 20 ms into it waits.
 *
 * Fills a fresh app.db with N synthetic requests (seeded: scopes, hits and misses, donors, stages, what-if frontiers,
 * spread over 14 days), then times, on the same database in the same run: "before" (every row read back and
 * aggregated row by row, `bench/stats/oldCacheStats.ts`) and "after" (`cacheStats`: the log's in-memory columns; the
 * first call reads them, every later one reads only the rows written since). Each path is served by a small HTTP
 * server in this process, as the API server serves it, beside a `/ping` route.
 *
 *   npm run bench:stats [-- --rows 25000,200000 --runs 8]
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {Worker} from "node:worker_threads";
import type Database from "better-sqlite3";
import {openAppDb} from "../../main/admin/appDb.js";
import {cacheStats, type StatsDeps} from "../../main/admin/statsService.js";
import {QualityStore} from "../../main/insights/QualityStore.js";
import {RequestLog} from "../../main/insights/RequestLog.js";
import {seededRandom} from "../../test/support/seededRandom.js";
import {oldCacheStats} from "./oldCacheStats.js";

const {values} = parseArgs({options: {rows: {type: "string", default: "25000,200000"}, runs: {type: "string", default: "8"}}});
const sizes = values.rows.split(",").map(Number);
const runs = Number(values.runs);
const dayMs = 86_400_000;

function fill(log: RequestLog, rows: number, now: number): void {
    const next = seededRandom(42);
    const scopes = ["global", "group:ward-1", "group:ward-2", "group:ward-3", "user:ann", "user:ben"];
    for (let i = 0; i < rows; i++) {
        const promptTokens = 20 + Math.floor(next() * 600);
        const reusedTokens = next() < 0.3 ? 0 : Math.floor(next() * promptTokens);
        const donorId = reusedTokens > 0 && next() < 0.5 ? 1 + Math.floor(next() * 5000) : undefined;
        log.add({
            at: now - Math.floor((1 - i / rows) * 14 * dayMs),
            user: "u",
            scope: scopes[Math.floor(next() * scopes.length)]!,
            mode: donorId == null ? (reusedTokens > 0 ? "prefix" : "none") : "semantic",
            promptTokens,
            reusedTokens,
            completionTokens: 30,
            ttftMs: 5 + next() * 200,
            queueMs: next() * 10,
            ...(donorId == null ? {} : {donorId, donorSimilarity: 0.8}),
            bestSimilarity: 0.8,
            reusableTokens: reusedTokens,
            prefixFloor: 2,
            threshold: 0.3,
            budget: 0.15,
            minGain: 4,
            candidates: [
                [0.8, Math.floor(promptTokens * 0.7)],
                [0.5, Math.floor(promptTokens * 0.9)]
            ],
            budgetReuse: [reusedTokens, Math.floor(reusedTokens * 0.9)],
            stages: {embed_ms: next() * 2, retrieve_ms: next(), align_ms: next() * 3, prefill_ms: next() * 100}
        });
    }
    log.flush();
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
}

async function get(port: number, route: string): Promise<number> {
    const start = performance.now();
    await new Promise<void>((resolve, reject) =>
        http.get({host: "127.0.0.1", port, path: route}, (res) => res.resume().on("end", () => resolve())).on("error", reject)
    );
    return performance.now() - start;
}

/**
 * The stats call, and 20 ms into it a `/ping`, sent from another thread (this one is busy serving the call):
 * the milliseconds each took.
 */
function concurrently(port: number, route: string): Promise<[number, number]> {
    const client = `
        const http = require("node:http");
        const {parentPort, workerData} = require("node:worker_threads");
        const get = (route) => new Promise((resolve) => {
            const start = performance.now();
            http.get({host: "127.0.0.1", port: workerData.port, path: route}, (res) => res.resume().on("end", () => resolve(performance.now() - start)));
        });
        const call = get(workerData.route);
        setTimeout(async () => {
            const ping = get("/ping");
            parentPort.postMessage([await call, await ping]);
        }, 20);`;
    const worker = new Worker(client, {eval: true, workerData: {port, route}});
    return new Promise((resolve) => worker.once("message", (times: [number, number]) => void worker.terminate().then(() => resolve(times))));
}

async function measure(size: number): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-bench-stats-"));
    const db: Database.Database = openAppDb(path.join(dir, "app.db"));
    try {
        const now = Date.now();
        const log = new RequestLog({db: () => db, retentionDays: () => 30, replayShare: () => 0, maxRows: 200_000});
        const filling = performance.now();
        fill(log, size, now);
        const deps: StatsDeps = {
            requestLog: log,
            qualityChecks: new QualityStore(() => db),
            cache: () => undefined,
            settings: {sharing: {historyDays: 30, maxSnapshotBytes: 2 ** 31}} as StatsDeps["settings"],
            monitorShare: () => 0.05
        };
        const paths = {
            before: (scope?: string) => oldCacheStats(deps, db, scope == null ? {} : {scope}, Date.now()),
            after: (scope?: string) => cacheStats(deps, scope == null ? {} : {scope})
        };
        const server = http.createServer((req, res) => {
            const url = new URL(req.url!, "http://x");
            const body =
                url.pathname === "/ping"
                    ? "{}"
                    : JSON.stringify(paths[url.pathname.slice(1) as keyof typeof paths](url.searchParams.get("scope") ?? undefined));
            res.end(body);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as {port: number}).port;
        const readMs = (() => {
            const start = performance.now();
            log.statsColumns();
            return performance.now() - start;
        })();
        console.log(
            `\n${size.toLocaleString("en")} rows (filled in ${((performance.now() - filling) / 1000).toFixed(1)} s; columns first read in ${readMs.toFixed(0)} ms)`
        );
        const alone = [];
        for (let i = 0; i < runs; i++) alone.push(await get(port, "/ping"));
        console.log(`  ping alone${"".padEnd(28)} ${median(alone).toFixed(1).padStart(7)} ms`);
        for (const [label, route] of [
            ["before", "/before"],
            ["after", "/after"],
            ["before, one scope", "/before?scope=group%3Award-3"],
            ["after, one scope", "/after?scope=group%3Award-3"]
        ] as const) {
            const stats: number[] = [];
            const pings: number[] = [];
            for (let i = 0; i < runs; i++) {
                // A request logged between two polls: the new path reads it on the next call.
                log.add({at: Date.now(), user: "u", scope: "global", mode: "none", promptTokens: 10, reusedTokens: 0, completionTokens: 1, ttftMs: 9});
                const [call, ping] = await concurrently(port, route);
                stats.push(call);
                pings.push(ping);
            }
            console.log(
                `  ${label.padEnd(18)} stats call ${median(stats).toFixed(1).padStart(7)} ms (max ${Math.max(...stats).toFixed(1)})   ping during it ${median(pings).toFixed(1).padStart(7)} ms (max ${Math.max(...pings).toFixed(1)})`
            );
        }
        server.close();
    } finally {
        db.close();
        fs.rmSync(dir, {recursive: true, force: true});
    }
}

for (const size of sizes) await measure(size);
