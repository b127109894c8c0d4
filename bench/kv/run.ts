/**
 * `npm run bench:kv` — KV editing vs full prefill.
 *
 * Part 1 (timing): a dummy-weight llama model of about 0.5 B parameters (bench/dummyModel, cached
 * outside the repo), 1k-token prompts with about 10% of the tokens edited; prints full prefill time,
 * restore + edit + compute time, tokens computed, the speed-up, and the limit
 * 1 / (computed share + restore time / prefill time) with the gap to it, for a donor read from its
 * snapshot file and for one held in memory (the app's memory tier).
 * Part 2 (quality): stories260K, edits with only the new tokens computed; prints how many greedy
 * tokens match a full prefill (nothing asserted).
 *
 * Env: KVSHARE_BENCH_THREADS (default 2), KVSHARE_BENCH_REPEATS (default 2).
 */
import {mkdtemp, readFile, rm} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {getLlama, LlamaLogLevel, type LlamaContextSequence, type LlamaModel, type Token} from "node-llama-cpp";
import {ensureDummyModel, DEFAULT_SHAPE} from "../dummyModel/generate.js";
import {applyEditPlan, type DonorSource} from "../../main/kv/applyEditPlan.js";
import {
    buildSnapshotHeader,
    captureForSnapshot,
    createKvEditingContext,
    getKvEditingSupport,
    modelFingerprint,
    readSnapshot,
    writeSnapshot,
    type KeptRun,
    type KvSnapshot
} from "../../main/kv/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const SHARED = path.resolve(here, "../../../shared");
const THREADS = Number(process.env.KVSHARE_BENCH_THREADS ?? 2);
const REPEATS = Math.max(1, Number(process.env.KVSHARE_BENCH_REPEATS ?? 2));
const PROMPT_TOKENS = 1000;

const ms = (x: number): string => `${x.toFixed(0)} ms`;
const pad = (s: string, n: number): string => s.padEnd(n);

interface Edited {
    target: Token[];
    keptRuns: KeptRun[];
    newTokens: number;
}

/**
 * Replace `sites` runs of `width` tokens, evenly spread, with tokens from `filler`
 * (alternating replace / insert / delete so positions shift both ways).
 */
function editPrompt(donor: Token[], filler: Token[], sites: number, width: number): Edited {
    const target: Token[] = [];
    const keptRuns: KeptRun[] = [];
    let d = 0;
    let f = 0;
    let newTokens = 0;
    for (let s = 0; s < sites; s++) {
        const at = Math.floor(((s + 0.5) / sites) * (donor.length - 2)) + 1;
        const kind = s % 3; // 0 replace, 1 insert, 2 delete+insert half
        keptRuns.push({donorStart: d, targetStart: target.length, length: at - d});
        target.push(...donor.slice(d, at));
        const removed = kind === 0 ? width : kind === 1 ? 0 : width * 2;
        const added = kind === 2 ? width * 2 : width;
        target.push(...filler.slice(f, f + added));
        f += added;
        newTokens += added;
        d = at + removed;
    }
    keptRuns.push({donorStart: d, targetStart: target.length, length: donor.length - d});
    target.push(...donor.slice(d));
    return {target, keptRuns: keptRuns.filter((r) => r.length > 0), newTokens};
}

/** The KV of `sequence` as a snapshot held in memory, as the app's memory tier holds a donor. */
async function snapshotInMemory(sequence: LlamaContextSequence, fingerprint: string): Promise<KvSnapshot> {
    const captured = await captureForSnapshot(sequence);
    const header = buildSnapshotHeader({captured, modelFingerprint: fingerprint});
    return {header, tokens: header.tokens, payload: captured.payload};
}

async function greedy(sequence: LlamaContextSequence, tokens: readonly Token[], count: number): Promise<Token[]> {
    const out: Token[] = [];
    for await (const token of sequence.evaluate(tokens.slice(), {temperature: 0})) {
        out.push(token);
        if (out.length >= count) break;
    }
    return out;
}

async function timingPart(): Promise<void> {
    console.log("== Part 1: timing on a dummy-weight model ==");
    const {file, generatedMs} = ensureDummyModel();
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: THREADS});
    const model = await llama.loadModel({modelPath: file});
    console.log(
        `model: ${path.basename(file)} (${(model.fileInsights.totalParameters / 1e9).toFixed(2)} B params, ` +
            `${DEFAULT_SHAPE.layers} layers, n_embd ${DEFAULT_SHAPE.embd}, ff ${DEFAULT_SHAPE.ff}, heads ${DEFAULT_SHAPE.heads}/${DEFAULT_SHAPE.kvHeads} kv, Q8_0, ` +
            `llama-spm tokenizer; ${generatedMs == null ? "cached" : `generated in ${(generatedMs / 1000).toFixed(1)} s`}); binary: ${llama.buildType}; threads ${THREADS}`
    );
    const context = await createKvEditingContext(model, {contextSize: 2048, sequences: 3, threads: THREADS, batchSize: 512});
    const support = getKvEditingSupport(context);
    if (!support.kvEditingSupported) {
        console.log(`KV editing unavailable: ${support.reason}. Skipping part 1.`);
        await context.dispose();
        await model.dispose();
        return;
    }
    const target = context.getSequence();
    const text = await readFile(path.join(SHARED, "data/tinystories/tinystories_validation_head.txt"), "utf8");
    const all = model.tokenize(text.slice(0, 60000), false);
    const bos = model.tokens.bos ?? (1 as Token);
    const donor = [bos, ...all.slice(0, PROMPT_TOKENS - 1)];
    const filler = all.slice(PROMPT_TOKENS, PROMPT_TOKENS + 400);

    const dir = await mkdtemp(path.join(os.tmpdir(), "kvshare-bench-"));
    try {
        const fingerprint = await modelFingerprint(file, "metadata");
        // donor: prefill once (also a warm-up) and store as a snapshot file
        let t = performance.now();
        await target.evaluateWithoutGeneratingNewTokens(donor.slice(0, -1));
        console.log(`donor prefill (warm-up): ${ms(performance.now() - t)} for ${donor.length - 1} tokens`);
        const snapFile = path.join(dir, "donor.kvsnap");
        t = performance.now();
        const header = await writeSnapshot({captured: await captureForSnapshot(target), filePath: snapFile, modelFingerprint: fingerprint});
        console.log(`snapshot saved: ${(header.payloadBytes / 2 ** 20).toFixed(1)} MiB in ${ms(performance.now() - t)}`);
        // the same donor held in memory (the app's memory tier: no file read, no checksum)
        const inMemory = await readSnapshot(snapFile, {modelFingerprint: fingerprint, context});

        const scenarios = [
            {name: "5 sites x ~20 tok", ...editPrompt(donor, filler, 5, 20)},
            {name: "10 sites x ~10 tok", ...editPrompt(donor, filler, 10, 10)}
        ];
        const prefillTimes: number[] = [];
        const rows: string[][] = [];
        for (const scenario of scenarios) {
            const n = scenario.target.length;
            const full: number[] = [];
            for (let r = 0; r < REPEATS; r++) {
                await target.clearHistory();
                t = performance.now();
                await greedy(target, scenario.target, 1);
                full.push(performance.now() - t);
            }
            prefillTimes.push(...full);
            const fullMs = Math.min(...full);
            const variants = [
                {label: "snapshot file", donorKind: "file"},
                {label: "snapshot in memory", donorKind: "memory"}
            ] as const;
            for (const variant of variants) {
                let best: {total: number; restore: number; edit: number; compute: number; last: number; computed: number} | undefined;
                for (let r = 0; r < REPEATS; r++) {
                    await target.clearHistory();
                    t = performance.now();
                    let readMs = 0;
                    let donor: DonorSource;
                    if (variant.donorKind === "file") {
                        donor = {snapshot: await readSnapshot(snapFile, {modelFingerprint: fingerprint, context})};
                        readMs = performance.now() - t;
                    } else donor = {snapshot: inMemory};
                    const report = await applyEditPlan({
                        context,
                        targetSequence: target,
                        donor,
                        targetTokens: scenario.target,
                        plan: {keptRuns: scenario.keptRuns}
                    });
                    const t2 = performance.now();
                    await greedy(target, report.pendingTokens, 1);
                    const lastMs = performance.now() - t2;
                    const total = performance.now() - t;
                    const row = {
                        total,
                        restore: readMs + report.timings.restoreMs,
                        edit: report.timings.editMs,
                        compute: report.timings.computeMs,
                        last: lastMs,
                        computed: report.computedTokens + report.pendingTokens.length
                    };
                    if (best == null || row.total < best.total) best = row;
                }
                if (best == null) continue;
                const share = best.computed / n;
                const limit = 1 / (share + best.restore / fullMs);
                const speedup = fullMs / best.total;
                rows.push([
                    scenario.name,
                    variant.label,
                    String(n),
                    `${best.computed} (${(share * 100).toFixed(1)}%)`,
                    ms(fullMs),
                    `${ms(best.restore)} + ${ms(best.edit)} + ${ms(best.compute + best.last)} = ${ms(best.total)}`,
                    `${speedup.toFixed(1)}x`,
                    `${limit.toFixed(1)}x`,
                    `${((speedup / limit) * 100).toFixed(0)}% of limit`
                ]);
            }
        }
        const head = ["edit pattern", "donor", "tokens", "computed", "full prefill", "restore + edit + compute = total", "speed-up", "limit", "gap"];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)) + 2);
        console.log(head.map((h, i) => pad(h, widths[i] ?? 0)).join(""));
        for (const row of rows) console.log(row.map((c, i) => pad(c, widths[i] ?? 0)).join(""));
        console.log(
            "full prefill = evaluate the target up to its first generated token (best of the repeats); restore = read + verify (sha256) " +
                "the snapshot file (skipped for a snapshot in memory), then load it into the target sequence; compute includes the last prompt token and the deferred " +
                "K-shift; speed-up = full prefill / total; limit = 1 / (computed share + restore / full prefill); gap = speed-up / limit."
        );
        console.log(`full prefill times (ms): ${prefillTimes.map((x) => x.toFixed(0)).join(", ")}`);
    } finally {
        await rm(dir, {recursive: true, force: true});
        await context.dispose();
        await model.dispose();
    }
}

async function qualityPart(): Promise<void> {
    console.log("\n== Part 2: greedy agreement on stories260K, only new tokens computed ==");
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});
    const model: LlamaModel = await llama.loadModel({modelPath: path.join(SHARED, "models/stories260K.gguf")});
    const context = await createKvEditingContext(model, {contextSize: 512, sequences: 4, threads: 1});
    const support = getKvEditingSupport(context);
    if (!support.kvEditingSupported) {
        console.log(`KV editing unavailable: ${support.reason}. Skipping part 2.`);
        await context.dispose();
        await model.dispose();
        return;
    }
    const [target, donorSeq, reference] = [context.getSequence(), context.getSequence(), context.getSequence()];
    const fingerprint = await modelFingerprint(path.join(SHARED, "models/stories260K.gguf"));
    const text = await readFile(path.join(SHARED, "data/tinystories/tinystories_validation_head.txt"), "utf8");
    const stories = text
        .split(/\n\s*\n/)
        .map((s) => s.trim())
        .filter((s) => s.length > 400 && s.length < 900)
        .slice(0, 6);
    const insert = model.tokenize(" The sun was warm and the birds sang in the sky.", false);
    const GEN = 32;
    let matched = 0;
    let total = 0;
    let identical = 0;
    let cases = 0;
    const lines: string[] = [];
    for (const [si, story] of stories.entries()) {
        const donor = [model.tokens.bos ?? (1 as Token), ...model.tokenize(story, false)].slice(0, 300);
        await donorSeq.clearHistory();
        await donorSeq.evaluateWithoutGeneratingNewTokens(donor.slice(0, -1));
        const donorSnapshot = await snapshotInMemory(donorSeq, fingerprint);
        const perStory: string[] = [];
        for (const kind of ["delete", "insert", "replace"] as const)
            for (const where of ["start", "middle", "end"] as const) {
                const n = donor.length;
                const count = 6;
                const at = where === "start" ? 1 : where === "middle" ? Math.floor(n / 2) : n - 1 - count - 2;
                const removed = kind === "insert" ? 0 : count;
                const added = kind === "delete" ? [] : insert.slice(0, count);
                const tgt = [...donor.slice(0, at), ...added, ...donor.slice(at + removed)];
                const report = await applyEditPlan({
                    context,
                    targetSequence: target,
                    donor: {snapshot: donorSnapshot},
                    targetTokens: tgt,
                    plan: {
                        keptRuns: [
                            {donorStart: 0, targetStart: 0, length: at},
                            {donorStart: at + removed, targetStart: at + added.length, length: n - at - removed}
                        ]
                    }
                });
                const edited = await greedy(target, report.pendingTokens, GEN);
                await reference.clearHistory();
                const full = await greedy(reference, tgt, GEN);
                let same = 0;
                while (same < GEN && edited[same] === full[same]) same++;
                const agree = edited.filter((tok, i) => tok === full[i]).length;
                matched += agree;
                total += GEN;
                cases++;
                if (same === GEN) identical++;
                perStory.push(`${kind[0]}${where[0]}:${agree}`);
            }
        lines.push(`story ${si + 1} (${donor.length} tok): ${perStory.join(" ")}`);
    }
    for (const line of lines) console.log(line);
    console.log(`(d/i/r = delete/insert/replace, s/m/e = start/middle/end, value = greedy tokens equal to full prefill, of ${GEN})`);
    console.log(
        `greedy tokens matching full prefill: ${matched}/${total} (${((matched / total) * 100).toFixed(1)}%); ` +
            `identical ${GEN}-token continuations: ${identical}/${cases}`
    );
    await context.dispose();
    await model.dispose();
}

const started = performance.now();
await timingPart();
await qualityPart();
console.log(`\nbench:kv finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
