import type {KvShareRecord} from "../../../shared/openai.js";

export type PromptLabel = "reused" | "recomputed" | "new";
export type DonorLabel = "kept" | "moved" | "replaced" | "unused";

export interface Run<L extends string> {
    label: L;
    text: string;
    /** First position of the run. */
    start: number;
    length: number;
}

/** What kind of reuse an answer got: another prompt's KV, its own sequence's prefix, or none. */
export function hitKind(record: KvShareRecord): "donor" | "prefix" | "miss" {
    if (record.donor != null && record.reused_tokens > 0) return "donor";
    if (record.reused_tokens > 0) return "prefix";
    return "miss";
}

/** A label for every prompt position: from the segments, else the reused prefix then new tokens. */
export function promptLabels(record: KvShareRecord, length = record.prompt_pieces?.length ?? record.prompt_tokens): PromptLabel[] {
    const labels: PromptLabel[] = Array.from({length}, (_, i) => (record.segments == null && i < record.reused_tokens ? "reused" : "new"));
    for (const segment of record.segments ?? []) for (let i = Math.max(0, segment.start); i < Math.min(length, segment.end); i++) labels[i] = segment.label;
    return labels;
}

/**
 * A label for every donor position: kept (its KV was reused in order), moved (reused, but the run
 * lands out of the donor's order), replaced (not reused: the new prompt has other words there) or
 * unused (after the last kept run: the rest of the donor, e.g. its own answer).
 */
export function donorLabels(record: KvShareRecord, length = record.donor_pieces?.length ?? record.donor?.tokens ?? 0): DonorLabel[] {
    const labels: DonorLabel[] = Array.from({length}, () => "replaced");
    const runs = [...(record.runs ?? [])].sort((a, b) => a.target_start - b.target_start);
    let donorEnd = 0;
    for (const run of runs) {
        const moved = run.donor_start < donorEnd;
        for (let i = Math.max(0, run.donor_start); i < Math.min(length, run.donor_start + run.length); i++) labels[i] = moved ? "moved" : "kept";
        donorEnd = Math.max(donorEnd, run.donor_start + run.length);
    }
    for (let i = donorEnd; i < length; i++) labels[i] = "unused";
    return labels;
}

/** Joins neighbouring pieces with the same label, from `from` on (to draw long prompts compactly). */
export function groupRuns<L extends string>(pieces: readonly string[], labels: readonly L[], from = 0): Array<Run<L>> {
    const runs: Array<Run<L>> = [];
    for (let i = Math.max(0, from); i < pieces.length; i++) {
        const label = labels[i];
        if (label === undefined) continue;
        const last = runs.at(-1);
        if (last && last.label === label && last.start + last.length === i) {
            last.text += pieces[i];
            last.length++;
        } else {
            runs.push({label, text: pieces[i] ?? "", start: i, length: 1});
        }
    }
    return runs;
}

/** Counts per label. */
export function countLabels<L extends string>(labels: readonly L[]): Partial<Record<L, number>> {
    const counts: Partial<Record<L, number>> = {};
    for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
    return counts;
}

/**
 * The positions of a token row that are drawn, [from, to): at most `maxTokens`, ending at the row's end, or,
 * where the row has an unused tail (a donor's own answer), `maxTail` tokens into it: the window then holds
 * the kept and replaced tokens the row is about, however long the donor's answer was.
 */
export function tokenWindow(labels: readonly string[], maxTokens: number, maxTail: number): {from: number; to: number} {
    const firstUnused = labels.indexOf("unused");
    const to = firstUnused >= 0 ? Math.min(labels.length, firstUnused + maxTail) : labels.length;
    return {from: Math.max(0, to - maxTokens), to};
}
