import {cleanup, fireEvent, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import type {KvShareRecord} from "../../../shared/openai.js";
import {useHitStripPreference} from "../stores/useHitStripPreference.js";
import {HitStrip} from "./HitStrip.js";

/** "Once upon a time there was a tiny KILL." reusing the KV of "…a tiny TERM.", whose answer was 1499 tokens. */
function longDonorRecord(): KvShareRecord {
    const prompt = ["Once", " upon", " a", " time", " there", " was", " a", " tiny", " K", "ILL", "."];
    const donorPrompt = ["Once", " upon", " a", " time", " there", " was", " a", " tiny", " T", "ERM", "."];
    const answer = Array.from({length: 1499}, (_, i) => ` w${i}`);
    return {
        mode: "semantic",
        prompt_tokens: prompt.length,
        reused_tokens: 9,
        computed_tokens: 2,
        recomputed_tokens: 0,
        donor: {id: 7, similarity: 0.93, exact: false, prompt: donorPrompt.join(""), tokens: donorPrompt.length + answer.length},
        segments: [
            {label: "reused", start: 0, end: 8},
            {label: "new", start: 8, end: 10},
            {label: "reused", start: 10, end: 11}
        ],
        runs: [
            {donor_start: 0, target_start: 0, length: 8},
            {donor_start: 10, target_start: 10, length: 1}
        ],
        prompt_pieces: prompt,
        donor_pieces: [...donorPrompt, ...answer]
    };
}

describe("HitStrip", () => {
    beforeEach(() => {
        localStorage.clear();
        useHitStripPreference.setState({tokensOpen: false});
    });
    afterEach(cleanup);

    it("shows a one-line summary until its tokens are asked for, then keeps them open for every answer", () => {
        render(<HitStrip record={longDonorRecord()} />);
        expect(screen.getByTestId("hit-reused").textContent).toBe("9 of 11 prompt tokens reused");
        // Not a landmark of its own: every answer has one.
        expect(screen.queryByRole("region")).toBeNull();
        // Not read out with the answer the chat's log announces.
        expect(screen.getByRole("group", {name: "KV cache reuse"}).getAttribute("aria-live")).toBe("off");
        expect(screen.queryByTestId("hit-prompt-tokens")).toBeNull();
        fireEvent.click(screen.getByRole("button", {name: "Show tokens"}));
        expect(screen.getByTestId("hit-prompt-tokens")).toBeTruthy();
        cleanup();
        // Another answer, or the page reloaded: open as left.
        render(<HitStrip record={longDonorRecord()} />);
        expect(screen.getByTestId("hit-prompt-tokens")).toBeTruthy();
        expect(JSON.parse(localStorage.getItem("kvshare.hitStrip") ?? "{}")).toMatchObject({state: {tokensOpen: true}});
    });

    it("says what was recomputed and how: before the first token, while decoding, and a near-tie guard's recompute", () => {
        const base = {...longDonorRecord(), recomputed_tokens: 3, recompute_policy: "dhd-guard"};
        render(<HitStrip record={{...base, decode_recompute: {tokens: 6, ms: 2}}} />);
        expect(screen.getByTestId("hit-recomputed").textContent).toBe("3 recomputed (dhd-guard) + 6 while decoding");
        cleanup();
        render(<HitStrip record={{...base, decode_recompute: {tokens: 6, ms: 9, flushed_at: 0}}} />);
        expect(screen.getByTestId("hit-recomputed").textContent).toBe(
            "3 recomputed (dhd-guard) + 6 while decoding, at once before answer token 1 (a near tie)"
        );
    });

    it("says so where the donor is another person's prompt, and shows none of its text", () => {
        useHitStripPreference.setState({tokensOpen: true});
        const {donor_pieces: _pieces, ...record} = longDonorRecord();
        render(<HitStrip record={{...record, donor: {id: 7, similarity: 0.93, exact: false, tokens: 1510, prompt_hidden: true}}} />);
        expect(screen.getByTestId("hit-donor-hidden").textContent).toMatch(/Another person's prompt/);
        expect(screen.getByTestId("hit-donor").textContent).not.toContain("TERM");
    });

    it("says a saved chat does not keep the donor's text, where the answer was read back without it", () => {
        useHitStripPreference.setState({tokensOpen: true});
        const {donor_pieces: _pieces, ...record} = longDonorRecord();
        render(<HitStrip record={{...record, donor: {id: 7, similarity: 0.93, exact: false, tokens: 1510}}} />);
        expect(screen.getByTestId("hit-donor-not-kept").textContent).toMatch(/a saved chat does not keep it/);
    });

    it("draws a long donor's kept and replaced tokens, and only the start of its unused answer", () => {
        useHitStripPreference.setState({tokensOpen: true});
        render(<HitStrip record={longDonorRecord()} />);
        const donor = screen.getByTestId("hit-donor-tokens");
        expect([...donor.querySelectorAll(".tok-kept")].map((t) => t.textContent)).toEqual(["Once upon a time there was a tiny", "."]);
        expect([...donor.querySelectorAll(".tok-replaced")].map((t) => t.textContent)).toEqual([" TERM"]);
        expect(donor.querySelector(".tok-unused")!.textContent).toMatch(/^ w0 w1 .* w23$/);
        expect(donor.textContent).toContain("… +1475");
        expect(screen.getByTestId("hit-donor").textContent).toContain("9 kept · 0 moved · 2 replaced · 1499 unused");
    });

    it("names each run's kind for screen readers, once a run, and keeps its key readable", () => {
        useHitStripPreference.setState({tokensOpen: true});
        render(<HitStrip record={longDonorRecord()} />);
        const prompt = screen.getByTestId("hit-prompt-tokens");
        expect([...prompt.querySelectorAll(".visually-hidden")].map((s) => s.textContent)).toEqual(["[reused] ", "[new] ", "[reused] "]);
        // Each with a direction of its own: the row's dir="auto" follows the prompt's script, not the labels' (a Hebrew prompt stays right to left).
        expect([...prompt.querySelectorAll(".visually-hidden")].every((s) => s.getAttribute("dir") === "ltr")).toBe(true);
        expect(prompt.textContent).toBe("[reused] Once upon a time there was a tiny[new]  KILL[reused] .");
        const legend = screen.getByTestId("hit-legend");
        expect(legend.closest("[aria-hidden=true]")).toBeNull();
        expect(legend.textContent).toBe("Key:reusedrecomputednewkeptmovedreplacedunused");
    });
});
