/**
 * KV editing on stories260K compared with a full prefill of the target (issue 3, "Must hold").
 * Skipped, with the reason in the suite name, only when the KVShare-patched binary is not loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { applyEditPlan } from "./applyEditPlan.js";
import { createKvEditingContext } from "./createKvEditingContext.js";
import type { EditPlan, KeptRun } from "./editPlan.js";
import { getKvEditingSupport } from "./nativeSupport.js";
import { reuseKv } from "./reuse.js";
import { greedy, greedyFullPrefill, INSERT_TEXT, patchedBinaryLoaded, STORIES_260K, STORY_A, testLlama } from "./__tests__/support.js";

const { patched, reason } = await patchedBinaryLoaded();
const GREEDY_TOKENS = 24;

type EditKind = "delete" | "insert" | "replace";
type Strategy = "batched" | "sequential";
const STRATEGIES: Strategy[] = ["batched", "sequential"];
type Where = "start" | "middle" | "end";

interface Edit {
  target: Token[];
  /** kept runs of the unedited tokens */
  keptRuns: KeptRun[];
  /** target positions of new tokens */
  newRange: { start: number; end: number };
}

/** Apply one edit of `count` tokens to `donor` (token 0 is BOS and the last token stay untouched). */
function makeEdit(donor: Token[], insertTokens: Token[], kind: EditKind, where: Where, count = 6): Edit {
  const n = donor.length;
  const at = where === "start" ? 1 : where === "middle" ? Math.floor(n / 2) : n - 1 - count - 2;
  const removed = kind === "insert" ? 0 : count;
  const added = kind === "delete" ? [] : insertTokens.slice(0, count);
  const target = [...donor.slice(0, at), ...added, ...donor.slice(at + removed)];
  const keptRuns: KeptRun[] = [
    { donorStart: 0, targetStart: 0, length: at },
    { donorStart: at + removed, targetStart: at + added.length, length: n - at - removed }
  ];
  return { target, keptRuns, newRange: { start: at, end: at + added.length } };
}

describe.skipIf(!patched)(`KV editing vs full prefill on stories260K (${reason})`, () => {
  let model: LlamaModel;
  let context: LlamaContext;
  let target: LlamaContextSequence;
  let scratch: LlamaContextSequence;
  let donorSeq: LlamaContextSequence;
  let reference: LlamaContextSequence;
  let donorTokens: Token[];
  let insertTokens: Token[];

  beforeAll(async () => {
    const llama = await testLlama();
    model = await llama.loadModel({ modelPath: STORIES_260K });
    context = await createKvEditingContext(model, { contextSize: 512, sequences: 4, threads: 1 });
    [target, scratch, donorSeq, reference] = [context.getSequence(), context.getSequence(), context.getSequence(), context.getSequence()];
    donorTokens = model.tokenize(STORY_A, false);
    donorTokens = [model.tokens.bos ?? (1 as Token), ...donorTokens];
    insertTokens = model.tokenize(INSERT_TEXT, false);
    // the donor: its KV holds every token but the last (as a served prompt would be stored)
    await donorSeq.evaluateWithoutGeneratingNewTokens(donorTokens.slice(0, -1));
  });
  afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
  });

  it("context supports KV editing", () => {
    expect(getKvEditingSupport(context)).toMatchObject({ kvEditingSupported: true });
    expect(donorTokens.length).toBeGreaterThan(100);
  });

  async function editAndCompare(
    targetTokens: Token[], plan: EditPlan, computeStrategy: Strategy = "batched"
  ): Promise<{ edited: Token[]; full: Token[]; reused: number }> {
    const report = await applyEditPlan({
      context, targetSequence: target, scratchSequence: scratch,
      donor: { sequence: donorSeq }, targetTokens, plan, computeStrategy
    });
    expect(report.pendingTokens).toEqual(targetTokens.slice(-1));
    expect(target.contextTokens).toEqual(targetTokens.slice(0, -1));
    expect(scratch.contextTokens).toEqual([]);
    const edited = await greedy(target, report.pendingTokens, GREEDY_TOKENS);
    const full = await greedyFullPrefill(reference, targetTokens, GREEDY_TOKENS);
    return { edited, full, reused: report.reusedTokens };
  }

  it("identity plan gives identical greedy output", async () => {
    const n = donorTokens.length;
    const { edited, full, reused } = await editAndCompare(donorTokens, { keptRuns: [{ donorStart: 0, targetStart: 0, length: n - 1 }] });
    expect(reused).toBe(n - 1);
    expect(edited).toEqual(full);
  });

  it("pure-prefix plan gives identical greedy output", async () => {
    const targetTokens = [...donorTokens.slice(0, 60), ...insertTokens];
    const { edited, full, reused } = await editAndCompare(targetTokens, { keptRuns: [{ donorStart: 0, targetStart: 0, length: 60 }] });
    expect(reused).toBe(60);
    expect(edited).toEqual(full);
  });

  for (const strategy of STRATEGIES)
    for (const kind of ["delete", "insert", "replace"] as const)
      for (const where of ["start", "middle", "end"] as const)
        it(`[${strategy}] ${kind} at ${where}, everything after the edit computed: identical greedy output`, async () => {
          const edit = makeEdit(donorTokens, insertTokens, kind, where);
          const plan: EditPlan = { keptRuns: edit.keptRuns, computePositions: [{ start: edit.newRange.start, end: edit.target.length }] };
          const { edited, full, reused } = await editAndCompare(edit.target, plan, strategy);
          expect(reused).toBe(edit.newRange.start);
          expect(edited).toEqual(full);
        });

  it("three edits, only new tokens computed: batched (one batch) and sequential builds agree", async () => {
    // replace 5 tokens near the start, insert 7 in the middle, delete 4 near the end
    const n = donorTokens.length;
    const a = 20, b = Math.floor(n / 2), c = n - 20;
    const targetTokens = [
      ...donorTokens.slice(0, a), ...insertTokens.slice(0, 5), ...donorTokens.slice(a + 5, b),
      ...insertTokens.slice(5, 12), ...donorTokens.slice(b, c), ...donorTokens.slice(c + 4)
    ];
    const keptRuns: KeptRun[] = [
      { donorStart: 0, targetStart: 0, length: a },
      { donorStart: a + 5, targetStart: a + 5, length: b - a - 5 },
      { donorStart: b, targetStart: b + 7, length: c - b },
      { donorStart: c + 4, targetStart: c + 7, length: n - c - 4 }
    ];
    const outputs: Token[][] = [];
    for (const computeStrategy of STRATEGIES) {
      const report = await applyEditPlan({
        context, targetSequence: target, scratchSequence: scratch, donor: { sequence: donorSeq }, targetTokens,
        plan: { keptRuns }, computeStrategy
      });
      expect(report.computedTokens).toBe(12);
      expect(target.contextTokens).toEqual(targetTokens.slice(0, -1));
      outputs.push(await greedy(target, report.pendingTokens, GREEDY_TOKENS));
    }
    expect(outputs[0]).toEqual(outputs[1]);
  });

  for (const strategy of STRATEGIES)
    for (const kind of ["delete", "insert", "replace"] as const)
      for (const where of ["start", "middle", "end"] as const)
        it(`[${strategy}] ${kind} at ${where}, only new tokens computed: runs with finite probabilities`, async () => {
        const edit = makeEdit(donorTokens, insertTokens, kind, where);
        const report = await applyEditPlan({
          context, targetSequence: target, scratchSequence: scratch,
          donor: { sequence: donorSeq }, targetTokens: edit.target, plan: { keptRuns: edit.keptRuns }, computeStrategy: strategy
        });
        expect(report.computedTokens).toBe(edit.newRange.end - edit.newRange.start);
        expect(report.reusedTokens).toBe(edit.target.length - 1 - report.computedTokens);
        let steps = 0;
        for await (const output of target.evaluateWithMetadata(report.pendingTokens, { probabilities: true, confidence: true }, { temperature: 0 })) {
          expect(Number.isFinite(output.confidence)).toBe(true);
          const probabilities = [...output.probabilities.values()];
          expect(probabilities.length).toBeGreaterThan(0);
          expect(probabilities.every((p) => Number.isFinite(p) && p >= 0 && p <= 1)).toBe(true);
          if (++steps >= 8)
            break;
        }
      });

  it("reuseKv falls back to exact prefix reuse on a context without unified KV, and says why", async () => {
    const plainContext = await model.createContext({ contextSize: 512, sequences: 2, threads: 1 });
    try {
      const seq = plainContext.getSequence();
      await seq.evaluateWithoutGeneratingNewTokens(donorTokens.slice(0, -1));
      const edit = makeEdit(donorTokens, insertTokens, "replace", "middle");
      const report = await reuseKv({
        context: plainContext, targetSequence: seq, scratchSequence: plainContext.getSequence(),
        donor: { sequence: seq }, targetTokens: edit.target, plan: { keptRuns: edit.keptRuns }
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
});
