/**
 * bench:share's timing part: the templated letters on the dummy-weight ~0.5 B llama, one server per mode,
 * all four up at once, TTFT per mode from medians (see run.ts for the whole bench).
 */
import {mkdtempSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import type {KvShareRecord} from "../../shared/openai.js";
import {startServer, type RunningServer} from "../../main/app/startServer.js";
import {defaultSettings} from "../../main/config/settings.js";
import {DEFAULT_SHAPE, ensureDummyModel} from "../dummyModel/generate.js";
import {mean, median, ms1, table} from "./report.js";
import {API_KEY, ask, collectingLogger, MODES, type Mode} from "./server.js";
import {clinicLetters, type BenchRequest} from "./workloads.js";

const TIMING_MAX_TOKENS = 4;
const TIMING_TARGETS = 6;

interface TimingModeResult {
    mode: string;
    label: string;
    seedTtftMs: number[];
    targets: Array<{
        step: number;
        id: string;
        ttftMs: number;
        promptTokens: number;
        reused: number;
        computed: number;
        recomputed: number;
        kvMode: string;
        stages: KvShareRecord["stages"];
        note?: string;
    }>;
}

export async function timingPart(warnings: string[]): Promise<Record<string, unknown>> {
    const threads = 2;
    console.log(
        `\n== Timing: dummy-weight llama (${DEFAULT_SHAPE.layers} layers, n_embd ${DEFAULT_SHAPE.embd}, ff ${DEFAULT_SHAPE.ff}, Q8_0, ~0.5 B), ${threads} threads, templated letters ==`
    );
    const {file, generatedMs} = ensureDummyModel();
    console.log(
        `model ${path.basename(file)} (${generatedMs == null ? "cached" : `generated in ${(generatedMs / 1000).toFixed(1)} s`}); one server per mode, all four up at once; ` +
            `each gets 1 warm-up and 1 seed letter (a full prefill in every mode), then ${TIMING_TARGETS} target letters asked mode after mode ` +
            `(the first mode rotates each step, so background load hits every mode alike); max_tokens ${TIMING_MAX_TOKENS}`
    );
    const letters = clinicLetters(1 + TIMING_TARGETS, 17).requests;
    const warmup: BenchRequest = {id: "warmup", role: "seed", api: "completions", prompt: "The weather was calm and the sea was blue."};
    const results = new Map<string, TimingModeResult>(MODES.map((m) => [m.key, {mode: m.key, label: m.label, seedTtftMs: [], targets: []}]));
    const loadBefore = os.loadavg()[0] ?? 0;
    const servers: {mode: Mode; server: RunningServer; dataDir: string}[] = [];
    try {
        for (const mode of MODES) {
            const dataDir = mkdtempSync(path.join(os.tmpdir(), "kvshare-bench-share-"));
            const server = await startServer({
                modelPath: file,
                dataDir,
                apiKey: API_KEY,
                log: collectingLogger(warnings),
                overrides: {threads, parallel: 1, api: {port: 0, host: "127.0.0.1"}, sharing: mode.sharing}
            });
            servers.push({mode, server, dataDir});
            await ask(server, warmup, 2);
        }
        for (const [step, letter] of letters.entries()) {
            for (let k = 0; k < servers.length; k++) {
                const {mode, server} = servers[(step + k) % servers.length] as (typeof servers)[number];
                const result = results.get(mode.key) as TimingModeResult;
                const o = await ask(server, letter, TIMING_MAX_TOKENS);
                if (letter.role === "seed") result.seedTtftMs.push(o.ttftMs);
                else
                    result.targets.push({
                        step,
                        id: o.id,
                        ttftMs: o.ttftMs,
                        promptTokens: o.promptTokens,
                        reused: o.kv.reused_tokens,
                        computed: o.kv.computed_tokens,
                        recomputed: o.kv.recomputed_tokens,
                        kvMode: o.kv.mode,
                        stages: o.kv.stages,
                        note: o.kv.note
                    });
            }
            process.stdout.write(`  letter ${step + 1}/${letters.length} done in all modes\n`);
        }
    } finally {
        for (const {server, dataDir} of servers) {
            await server.close();
            rmSync(dataDir, {recursive: true, force: true});
        }
    }
    const loadAfter = os.loadavg()[0] ?? 0;
    console.log(
        `1-minute load average: ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (2 cores; above ~2 means other work competed with the bench)`
    );
    const med = (key: string): number => median(results.get(key)?.targets.map((t) => t.ttftMs) ?? []);
    const rows = MODES.map((m) => {
        const r = results.get(m.key) as TimingModeResult;
        const stage = (name: keyof NonNullable<KvShareRecord["stages"]>): number => median(r.targets.map((t) => t.stages?.[name] ?? 0));
        return [
            m.label,
            String(median(r.targets.map((t) => t.promptTokens))),
            ms1(median(r.seedTtftMs)),
            String(r.targets.length),
            ms1(mean(r.targets.map((t) => t.ttftMs))),
            ms1(med(m.key)),
            ms1(Math.min(...r.targets.map((t) => t.ttftMs))),
            ms1(mean(r.targets.map((t) => t.reused))),
            ms1(mean(r.targets.map((t) => t.computed))),
            `${ms1(stage("restore_ms"))} / ${ms1(stage("edit_ms"))} / ${ms1(stage("compute_ms"))}`
        ];
    });
    console.log(
        table(
            [
                "mode",
                "prompt tok",
                "seed TTFT (full) ms",
                "targets",
                "TTFT mean ms",
                "TTFT median ms",
                "TTFT min ms",
                "reused tok",
                "computed tok",
                "restore / edit / compute ms (median)"
            ],
            rows
        )
    );
    const best = (key: string): number => Math.min(...(results.get(key)?.targets.map((t) => t.ttftMs) ?? []));
    const ratios = (stat: (key: string) => number): Record<string, number> => ({
        kvshareVsFull: stat("full") / stat("kvshare"),
        kvshareVsPrefix: stat("prefix") / stat("kvshare"),
        kvshareNoRecomputeVsFull: stat("full") / stat("kvs-r0"),
        kvshareNoRecomputeVsPrefix: stat("prefix") / stat("kvs-r0"),
        prefixVsFull: stat("full") / stat("prefix")
    });
    const speedups = ratios(med);
    const speedupsMin = ratios(best);
    const x = (v: number | undefined): string => `${(v ?? Number.NaN).toFixed(2)}×`;
    console.log(
        table(
            ["target TTFT speed-up", "KVShare vs full", "KVShare vs prefix", "KVShare r0 vs full", "KVShare r0 vs prefix", "prefix vs full"],
            [
                ["from medians", ...Object.values(speedups).map(x)],
                ["from minima (least disturbed)", ...Object.values(speedupsMin).map(x)]
            ]
        )
    );
    console.log(`(KVShare = default budget ${defaultSettings.sharing.recomputeBudget}; r0 = no recompute; all four modes measured side by side in this run)`);
    const odd = [...results.values()].flatMap((r) =>
        r.targets.filter((t) => r.mode.startsWith("kvs") && t.kvMode !== "semantic").map((t) => `${r.label} ${t.id}: ${t.kvMode} (${t.note ?? ""})`)
    );
    if (odd.length > 0) console.log(`targets without semantic reuse in KVShare modes: ${odd.join("; ")}`);
    return {
        model: path.basename(file),
        shape: DEFAULT_SHAPE,
        threads,
        maxTokens: TIMING_MAX_TOKENS,
        loadAverage: {before: loadBefore, after: loadAfter},
        modes: [...results.values()],
        speedups,
        speedupsMin
    };
}
