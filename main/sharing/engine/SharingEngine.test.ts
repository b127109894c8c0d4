/**
 * The engine with its cost gate, as the request path uses them: admit, prepare, the prompt evaluated, capture.
 * The gate's rates are given (as measured on a machine where a donor's restore costs far more than a short
 * prompt's prefill, or far less), so that what it decides does not depend on this machine's load while the test runs.
 * Real stories260K model and sequence, real SQLite + sqlite-vec donor cache.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {type LlamaContext, type LlamaModel} from "node-llama-cpp";
import {silentLogger} from "../../common/log.js";
import {defaultSharingSettings} from "../../../shared/settings.js";
import {DonorCache} from "../cache/DonorCache.js";
import {LexicalEmbedder} from "../embed/index.js";
import {CostGate} from "../policy/index.js";
import {SharingEngine} from "./SharingEngine.js";
import type {Admission} from "./types.js";
import {openStoriesContext} from "../../kv/__tests__/support.js";

const first = "The library opens at eight and closes at six; books are due back in three weeks, and late ones cost a coin a day.";
const again = "Our library opens at eight and closes at six; books are due back in three weeks, and late ones cost a coin a day.";
const keptOutNote = "; the cost gate keeps prompts this short out of the cache on this machine";

/** A gate that has seen prefills of `prefillMsPerToken` and restores of `restoreMs` whatever the donor's length. */
function gateOf(prefillMsPerToken: number, restoreMs: number): CostGate {
    const gate = new CostGate();
    for (const tokens of [20, 40, 60, 80, 100, 120]) {
        gate.observeFloor(tokens, tokens * prefillMsPerToken);
        gate.observeEdit({
            donorTokens: tokens,
            readBytes: 0,
            readMs: 0,
            restoreMs,
            editMs: 0,
            computedTokens: tokens / 10,
            computeMs: (tokens / 10) * prefillMsPerToken
        });
    }
    return gate;
}

describe("the sharing engine and its cost gate (stories260K, sqlite-vec)", () => {
    let model: LlamaModel;
    let context: LlamaContext;
    const dirs: string[] = [];
    const caches: DonorCache[] = [];
    const embedder = new LexicalEmbedder();
    const settings = {...defaultSharingSettings, costGate: true};

    beforeAll(async () => {
        ({model, context} = await openStoriesContext(1));
    }, 120_000);

    afterAll(async () => {
        for (const cache of caches) cache.close();
        await context?.dispose();
        await model?.dispose();
        for (const dir of dirs) fs.rmSync(dir, {recursive: true, force: true});
    });

    /** An engine over an empty donor cache of its own. */
    function engineWith(costGate: CostGate): SharingEngine {
        const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-engine-"));
        dirs.push(cacheDir);
        const cache = DonorCache.open({
            cacheDir,
            embedder,
            modelFingerprint: "sha256:stories260K",
            context,
            log: silentLogger,
            budgets: () => settings,
            sharedPrefixSettings: () => ({texts: [], minRunLength: settings.minRunLength}),
            sharedPrefixForms: (text) => [model.tokenize(text)]
        });
        caches.push(cache);
        return new SharingEngine({
            context,
            kvEditing: true,
            cache,
            embedder,
            settings: () => settings,
            detokenize: (tokens, lastTokens) => model.detokenize(tokens, false, lastTokens),
            costGate,
            log: silentLogger
        });
    }

    /** Serves `text` as the request path does, up to its capture: its admission, the note on how it was served, whether it was kept. */
    async function serve(engine: SharingEngine, text: string): Promise<{admission: Admission; note: string | undefined; kept: boolean}> {
        const prompt = {tokens: model.tokenize(text), text, scope: "global", detail: false, revealDonor: false};
        const admission = await engine.admit(prompt);
        const sequence = context.getSequence();
        try {
            const prepared = await engine.prepare(sequence, prompt, admission);
            await sequence.evaluateWithoutGeneratingNewTokens(prepared.pendingTokens);
            const store = await engine.capture(sequence, prompt, admission);
            return {admission, note: prepared.record.note, kept: (await store?.()) != null};
        } finally {
            sequence.dispose();
        }
    }

    it("where a short prompt is measured never to pay, it is not kept, and its paraphrase is told why it found nothing", async () => {
        // prefills of 5 µs a token, restores of 300 ms: no short prompt pays for its keeping
        const engine = engineWith(gateOf(0.005, 300));
        const served = await serve(engine, first);
        expect(served.kept).toBe(false);
        const repeat = await serve(engine, again);
        expect(repeat.admission.best).toBeUndefined();
        expect(repeat.note).toContain("nothing cached in this scope is like it");
        expect(repeat.note).toContain(keptOutNote);
    });

    it("where keeping pays, the prompt is kept, its paraphrase finds it, and a prompt that finds nothing is not told of the gate", async () => {
        // prefills of 2 ms a token, restores of 1 ms
        const engine = engineWith(gateOf(2, 1));
        expect((await serve(engine, first)).kept).toBe(true);
        const repeat = await engine.admit({tokens: model.tokenize(again), text: again, scope: "global", detail: false, revealDonor: false});
        expect(repeat.best?.entry.promptText).toBe(first);
        const unrelated = await serve(engine, "Once upon a time, a little fox found a shiny red ball under the old oak tree.");
        expect(unrelated.admission.best).toBeUndefined();
        expect(unrelated.note).not.toContain(keptOutNote);
    });
});
