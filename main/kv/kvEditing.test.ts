/**
 * KV editing on stories260K compared with a full prefill of the target, and with the left-to-right
 * reference build. Skipped, with the reason in the suite name, only when the KVShare-patched binary is
 * not loaded (loadedBuild.test.ts then fails).
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {InputLookupTokenPredictor, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token} from "node-llama-cpp";
import {applyEditPlan, type DonorSource} from "./applyEditPlan.js";
import {createKvEditingContext} from "./createKvEditingContext.js";
import type {EditPlan, KeptRun, PositionRange} from "./editPlan.js";
import {getKvEditingSupport} from "./nativeSupport.js";
import {reuseKv} from "./reuse.js";
import {restoreSnapshot} from "./snapshot.js";
import {applyEditPlanSequentially} from "./__tests__/sequentialEdit.js";
import {greedy, greedyFullPrefill, INSERT_TEXT, patchedBinaryLoaded, snapshotOf, STORIES_260K, STORY_A, testLlama} from "./__tests__/support.js";

const {patched, reason} = await patchedBinaryLoaded();
const GREEDY_TOKENS = 24;

type EditKind = "delete" | "insert" | "replace";
type Where = "start" | "middle" | "end";

interface Edit {
    target: Token[];
    /** kept runs of the unedited tokens */
    keptRuns: KeptRun[];
    /** target positions of new tokens */
    newRange: PositionRange;
}

/** Apply one edit of `count` tokens to `donor` (token 0 is BOS and the last token stay untouched). */
function makeEdit(donor: Token[], insertTokens: Token[], kind: EditKind, where: Where, count = 6): Edit {
    const n = donor.length;
    const at = where === "start" ? 1 : where === "middle" ? Math.floor(n / 2) : n - 1 - count - 2;
    const removed = kind === "insert" ? 0 : count;
    const added = kind === "delete" ? [] : insertTokens.slice(0, count);
    const target = [...donor.slice(0, at), ...added, ...donor.slice(at + removed)];
    const keptRuns: KeptRun[] = [
        {donorStart: 0, targetStart: 0, length: at},
        {donorStart: at + removed, targetStart: at + added.length, length: n - at - removed}
    ];
    return {target, keptRuns, newRange: {start: at, end: at + added.length}};
}

/** The plan that recomputes everything from the edit on: its KV must equal a full prefill's. */
function exactPlan(edit: Edit): EditPlan {
    return {keptRuns: edit.keptRuns, computePositions: [{start: edit.newRange.start, end: edit.target.length}]};
}

/** The tokens node-llama-cpp's token predictor has evaluated ahead and not yet validated (test-only look). */
function loadedPredictions(sequence: LlamaContextSequence): number {
    return (sequence as unknown as {_loadedTokenPredictions: unknown[]})._loadedTokenPredictions.length;
}

describe.skipIf(!patched)(`KV editing vs full prefill on stories260K (${reason})`, () => {
    let model: LlamaModel;
    let context: LlamaContext;
    let target: LlamaContextSequence;
    let scratch: LlamaContextSequence;
    let reference: LlamaContextSequence;
    let predicting: LlamaContextSequence;
    let predictor: InputLookupTokenPredictor;
    let donor: DonorSource;
    let donorTokens: Token[];
    let insertTokens: Token[];

    beforeAll(async () => {
        const llama = await testLlama();
        model = await llama.loadModel({modelPath: STORIES_260K});
        context = await createKvEditingContext(model, {contextSize: 512, sequences: 4, threads: 1});
        predictor = new InputLookupTokenPredictor();
        [target, scratch, reference, predicting] = [
            context.getSequence(),
            context.getSequence(),
            context.getSequence(),
            context.getSequence({tokenPredictor: predictor})
        ];
        donorTokens = model.tokenize(STORY_A, false);
        donorTokens = [model.tokens.bos ?? (1 as Token), ...donorTokens];
        insertTokens = model.tokenize(INSERT_TEXT, false);
        // the donor: a snapshot of every token but the last (as a served prompt is stored), held in memory
        await target.evaluateWithoutGeneratingNewTokens(donorTokens.slice(0, -1));
        donor = {snapshot: await snapshotOf(target)};
        await target.clearHistory();
    });
    afterAll(async () => {
        await context?.dispose();
        await model?.dispose();
    });

    it("context supports KV editing", () => {
        expect(getKvEditingSupport(context)).toMatchObject({kvEditingSupported: true});
        expect(getKvEditingSupport(context)).toBe(getKvEditingSupport(context)); // worked out once per context
        expect(donorTokens.length).toBeGreaterThan(100);
    });

    async function editAndCompare(targetTokens: Token[], plan: EditPlan): Promise<{edited: Token[]; full: Token[]; reused: number}> {
        const report = await applyEditPlan({context, targetSequence: target, donor, targetTokens, plan});
        expect(report.mode).toBe("semantic");
        expect(report.pendingTokens).toEqual(targetTokens.slice(-1));
        expect(target.contextTokens).toEqual(targetTokens.slice(0, -1));
        expect(scratch.contextTokens).toEqual([]);
        const edited = await greedy(target, report.pendingTokens, GREEDY_TOKENS);
        const full = await greedyFullPrefill(reference, targetTokens, GREEDY_TOKENS);
        return {edited, full, reused: report.reusedTokens};
    }

    it("identity plan gives identical greedy output", async () => {
        const n = donorTokens.length;
        const {edited, full, reused} = await editAndCompare(donorTokens, {keptRuns: [{donorStart: 0, targetStart: 0, length: n - 1}]});
        expect(reused).toBe(n - 1);
        expect(edited).toEqual(full);
    });

    it("pure-prefix plan gives identical greedy output", async () => {
        const targetTokens = [...donorTokens.slice(0, 60), ...insertTokens];
        const {edited, full, reused} = await editAndCompare(targetTokens, {keptRuns: [{donorStart: 0, targetStart: 0, length: 60}]});
        expect(reused).toBe(60);
        expect(edited).toEqual(full);
    });

    it("two edits at once on two sequences give what each gives alone (no shared working sequence)", async () => {
        const edits = [makeEdit(donorTokens, insertTokens, "replace", "middle"), makeEdit(donorTokens, insertTokens, "insert", "start")];
        const sequences = [target, scratch];
        const alone: Token[][] = [];
        for (const [i, edit] of edits.entries()) {
            const report = await applyEditPlan({context, targetSequence: sequences[i]!, donor, targetTokens: edit.target, plan: {keptRuns: edit.keptRuns}});
            alone.push(await greedy(sequences[i]!, report.pendingTokens, GREEDY_TOKENS));
        }
        const reports = await Promise.all(
            edits.map((edit, i) => applyEditPlan({context, targetSequence: sequences[i]!, donor, targetTokens: edit.target, plan: {keptRuns: edit.keptRuns}}))
        );
        reports.forEach((report, i) => expect(sequences[i]!.contextTokens).toEqual(edits[i]!.target.slice(0, -1)));
        const together = await Promise.all(reports.map((report, i) => greedy(sequences[i]!, report.pendingTokens, GREEDY_TOKENS)));
        expect(together).toEqual(alone);
        await Promise.all(sequences.map((sequence) => sequence.clearHistory()));
    });

    for (const kind of ["delete", "insert", "replace"] as const)
        for (const where of ["start", "middle", "end"] as const)
            it(`${kind} at ${where}, everything after the edit computed: identical greedy output`, async () => {
                const edit = makeEdit(donorTokens, insertTokens, kind, where);
                const {edited, full, reused} = await editAndCompare(edit.target, exactPlan(edit));
                expect(reused).toBe(edit.newRange.start);
                expect(edited).toEqual(full);
            });

    it("three edits, only new tokens computed: the batched build agrees with the left-to-right reference", async () => {
        // replace 5 tokens near the start, insert 7 in the middle, delete 4 near the end
        const n = donorTokens.length;
        const a = 20,
            b = Math.floor(n / 2),
            c = n - 20;
        const targetTokens = [
            ...donorTokens.slice(0, a),
            ...insertTokens.slice(0, 5),
            ...donorTokens.slice(a + 5, b),
            ...insertTokens.slice(5, 12),
            ...donorTokens.slice(b, c),
            ...donorTokens.slice(c + 4)
        ];
        const keptRuns: KeptRun[] = [
            {donorStart: 0, targetStart: 0, length: a},
            {donorStart: a + 5, targetStart: a + 5, length: b - a - 5},
            {donorStart: b, targetStart: b + 7, length: c - b},
            {donorStart: c + 4, targetStart: c + 7, length: n - c - 4}
        ];
        const options = {context, targetSequence: target, scratchSequence: scratch, donor, targetTokens, plan: {keptRuns}};
        const outputs: Token[][] = [];
        for (const build of [applyEditPlan, applyEditPlanSequentially]) {
            const report = await build(options);
            expect(report.computedTokens).toBe(12);
            expect(target.contextTokens).toEqual(targetTokens.slice(0, -1));
            expect(scratch.contextTokens).toEqual([]);
            outputs.push(await greedy(target, report.pendingTokens, GREEDY_TOKENS));
        }
        expect(outputs[0]).toEqual(outputs[1]);
    });

    for (const kind of ["delete", "insert", "replace"] as const)
        for (const where of ["start", "middle", "end"] as const)
            it(`${kind} at ${where}, only new tokens computed: runs with finite probabilities`, async () => {
                const edit = makeEdit(donorTokens, insertTokens, kind, where);
                const report = await applyEditPlan({
                    context,
                    targetSequence: target,
                    donor,
                    targetTokens: edit.target,
                    plan: {keptRuns: edit.keptRuns}
                });
                expect(report.computedTokens).toBe(edit.newRange.end - edit.newRange.start);
                expect(report.reusedTokens).toBe(edit.target.length - 1 - report.computedTokens);
                let steps = 0;
                for await (const output of target.evaluateWithMetadata(report.pendingTokens, {probabilities: true, confidence: true}, {temperature: 0})) {
                    expect(Number.isFinite(output.confidence)).toBe(true);
                    const probabilities = [...output.probabilities.values()];
                    expect(probabilities.length).toBeGreaterThan(0);
                    expect(probabilities.every((p) => Number.isFinite(p) && p >= 0 && p <= 1)).toBe(true);
                    if (++steps >= 8) break;
                }
            });

    it("reuseKv edits with a snapshot donor and an edit plan", async () => {
        const edit = makeEdit(donorTokens, insertTokens, "insert", "middle");
        const report = await reuseKv({context, targetSequence: target, donor, targetTokens: edit.target, plan: exactPlan(edit)});
        expect(report).toMatchObject({mode: "semantic", reusedTokens: edit.newRange.start});
        expect(await greedy(target, report.pendingTokens, GREEDY_TOKENS)).toEqual(await greedyFullPrefill(reference, edit.target, GREEDY_TOKENS));
    });

    it("reuseKv falls back to exact prefix reuse on a context without unified KV, and says why", async () => {
        const plainContext = await model.createContext({contextSize: 512, sequences: 2, threads: 1});
        try {
            const seq = plainContext.getSequence();
            await seq.evaluateWithoutGeneratingNewTokens(donorTokens.slice(0, -1));
            const plainDonor = {snapshot: await snapshotOf(seq)};
            await seq.clearHistory();
            const edit = makeEdit(donorTokens, insertTokens, "replace", "middle");
            const report = await reuseKv({
                context: plainContext,
                targetSequence: seq,
                donor: plainDonor,
                targetTokens: edit.target,
                plan: {keptRuns: edit.keptRuns}
            });
            expect(report.mode).toBe("prefix");
            expect(report.reason).toMatch(/kvUnified/);
            expect(report.reusedTokens).toBe(edit.newRange.start);
            const edited = await greedy(seq, report.pendingTokens, GREEDY_TOKENS);
            expect(edited).toEqual(await greedyFullPrefill(reference, edit.target, GREEDY_TOKENS));
        } finally {
            await plainContext.dispose();
        }
    });

    describe("node-llama-cpp's sequence state after an edit (internals.ts invariants)", () => {
        /** Two sequences holding the same tokens, edited vs evaluated: the same erase must leave both continuing alike. */
        async function eraseAndCompare(edited: LlamaContextSequence, evaluated: LlamaContextSequence, range: PositionRange, next: Token): Promise<void> {
            expect(edited.contextTokens).toEqual(evaluated.contextTokens);
            await edited.eraseContextTokenRanges([range]);
            await evaluated.eraseContextTokenRanges([range]);
            expect(edited.contextTokens).toEqual(evaluated.contextTokens);
            expect(edited.nextTokenIndex).toBe(evaluated.nextTokenIndex);
            expect(await greedy(edited, [next], GREEDY_TOKENS)).toEqual(await greedy(evaluated, [next], GREEDY_TOKENS));
        }

        it("a sequence with a token predictor and predictions evaluated ahead: edited, generated and erased like an evaluated one", async () => {
            predictor.updateInputTokens([...donorTokens, ...donorTokens]);
            // generate until the predictor has tokens evaluated ahead in the KV (greedy, hence deterministic)
            let steps = 0;
            for await (const token of predicting.evaluate(donorTokens.slice(0, 100), {temperature: 0})) {
                void token;
                if (loadedPredictions(predicting) > 0 || ++steps >= 200) break;
            }
            expect(loadedPredictions(predicting)).toBeGreaterThan(0);

            const edit = makeEdit(donorTokens, insertTokens, "replace", "middle");
            const report = await applyEditPlan({
                context,
                targetSequence: predicting,
                donor,
                targetTokens: edit.target,
                plan: exactPlan(edit)
            });
            expect(loadedPredictions(predicting)).toBe(0);
            expect(predicting.contextTokens).toEqual(edit.target.slice(0, -1));
            expect(predicting.nextTokenIndex).toBe(edit.target.length - 1);

            // speculative generation (the predictor re-primed on the new tokens) continues like a full prefill
            const generated = await greedy(predicting, report.pendingTokens, GREEDY_TOKENS);
            expect(generated).toEqual(await greedyFullPrefill(reference, edit.target, GREEDY_TOKENS));
            expect(predicting.tokenPredictions.validated + predicting.tokenPredictions.refuted).toBeGreaterThan(0);
            // node-llama-cpp's eraser (remove a middle range, shift the rest) treats both alike
            await eraseAndCompare(predicting, reference, {start: 30, end: 40}, generated.at(-1)!);
        });

        it("checkpoints of the previous content are dropped by an edit and by a snapshot restore", async () => {
            // stories260K needs no checkpoints; pretend it does (as an SWA or recurrent model would) to get some
            Object.defineProperty(target, "needsCheckpoints", {configurable: true, get: () => true});
            try {
                // other content, as long as most of the target, so that a stale checkpoint of it would show
                const other = model.tokenize("A dog ran to the big tree in the park and sat down. ".repeat(10), true).slice(0, donorTokens.length - 20);
                await target.clearHistory();
                await target.evaluateWithoutGeneratingNewTokens(other);
                await target.takeCheckpoint();
                expect(target.checkpointsMemoryUsage).toBeGreaterThan(0);
                const edit = makeEdit(donorTokens, insertTokens, "insert", "start");
                const report = await applyEditPlan({
                    context,
                    targetSequence: target,
                    donor,
                    targetTokens: edit.target,
                    plan: exactPlan(edit)
                });
                expect(target.checkpointsMemoryUsage).toBe(0);
                const generated = await greedy(target, report.pendingTokens, GREEDY_TOKENS);
                expect(generated).toEqual(await greedyFullPrefill(reference, edit.target, GREEDY_TOKENS));
                // an erase from the first token makes node-llama-cpp rebuild from its last checkpoint, if it had one
                await eraseAndCompare(target, reference, {start: 0, end: 1}, generated.at(-1)!);

                await target.clearHistory();
                await target.evaluateWithoutGeneratingNewTokens(other);
                await target.takeCheckpoint();
                expect(target.checkpointsMemoryUsage).toBeGreaterThan(0);
                await restoreSnapshot(target, donor.snapshot);
                expect(target.checkpointsMemoryUsage).toBe(0);
                expect(target.contextTokens).toEqual(donorTokens.slice(0, -1));
            } finally {
                delete (target as {needsCheckpoints?: boolean}).needsCheckpoints;
            }
        });
    });
});
