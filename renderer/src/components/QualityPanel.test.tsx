import {cleanup, render, screen} from "@testing-library/react";
import {afterEach, describe, expect, it} from "vitest";
import {fakeStats} from "../testing/fakeAdmin.js";
import {QualityPanel, qualityHeadline} from "./QualityPanel.js";

describe("quality monitor panel", () => {
    afterEach(cleanup);

    it("states the measured agreement with its checks and ROUGE-L", () => {
        render(<QualityPanel quality={fakeStats().quality} />);
        expect(screen.getByTestId("quality-headline").textContent).toBe("Answers from shared KV matched full compute in 96% of checked tokens this week");
        expect(screen.getByTestId("quality-checks").textContent).toBe("2");
        expect(screen.getByTestId("quality-rouge").textContent).toBe("0.97");
    });

    it("compares the recompute policies the checked answers were served with, when there are several", () => {
        const quality = fakeStats().quality;
        render(<QualityPanel quality={quality} />);
        const rows = [...screen.getByTestId("quality-policies").querySelectorAll("tbody tr")];
        expect(rows.map((row) => [row.getAttribute("data-policy"), ...[...row.children].map((cell) => cell.textContent)])).toEqual([
            ["dhd-decode", "DHD + decode-stage fixes", "1", "100%", "1.00"],
            ["boundary", "Edit boundaries", "1", "92%", "0.94"]
        ]);
        cleanup();
        // one policy: the headline says it all
        render(<QualityPanel quality={{...quality, policies: quality.policies.slice(0, 1)}} />);
        expect(screen.queryByTestId("quality-policies")).toBeNull();
    });

    it("says when the monitor is off, and when checks are still waiting for an idle moment", () => {
        const quality = {...fakeStats().quality, checks: 0, checkedTokens: 0, matchedTokens: 0, agreement: null, rougeL: null};
        expect(qualityHeadline({...quality, share: 0, pending: 0})).toContain("The quality monitor is off");
        expect(qualityHeadline({...quality, share: 0.25, pending: 3})).toContain("3 answers from shared KV are waiting");
    });
});
