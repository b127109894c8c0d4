import {cleanup, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {useCacheStats} from "../stores/useCacheStats.js";
import {fakeStats} from "../testing/fakeAdmin.js";
import {FakeBackend} from "../testing/fakes.js";
import {bucketTimeSaved, Dashboard, timeSavedFigures} from "./Dashboard.js";

describe("dashboard: time saved", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useCacheStats.setState({stats: null, error: null, loading: false});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("heads with the share served from a donor, and says what the chart covers", async () => {
        backend.adminFake.stats = {...fakeStats(), totals: {...fakeStats().totals, requests: 4, hits: 3, donorHits: 1, hitRate: 0.25}};
        render(<Dashboard />);
        const card = await screen.findByTestId("card-hit-rate");
        expect(card.querySelector(".stat-card-value")?.textContent).toBe("25%");
        expect(card.querySelector(".stat-card-hint")?.textContent).toBe("served from a donor · 3 reused some KV (own prefix included)");
        const buckets = fakeStats().buckets.length;
        expect(screen.getByTestId("over-time-window").textContent).toBe(`Last ${buckets * 10} s, one bar per 10 s; no line where no request came`);
    });

    it("shows the estimate next to tokens saved, saying what it rests on", async () => {
        backend.adminFake.stats = {
            ...fakeStats(),
            totals: {...fakeStats().totals, reusedTokens: 4000, timeSavedMs: 2400},
            prefill: {msPerToken: 0.6, requests: 12}
        };
        render(<Dashboard />);
        const card = await screen.findByTestId("card-time-saved");
        expect(card.querySelector(".stat-card-value")?.textContent).toBe("≈ 2.40 s");
        expect(card.querySelector(".stat-card-hint")?.textContent).toBe(
            "≈ time saved, estimated from this machine's prefill speed (0.60 ms/token, 12 requests without reuse)"
        );
    });

    it("says when there is nothing to estimate from yet, and per bucket only where tokens were saved", () => {
        const stats = fakeStats();
        expect(timeSavedFigures({...stats, totals: {...stats.totals, timeSavedMs: null}, prefill: {msPerToken: null, requests: 0}})).toEqual({
            value: "—",
            hint: "≈ time saved, estimated from this machine's prefill speed once a request has been served without reuse"
        });
        expect(timeSavedFigures({...stats, prefill: {msPerToken: 0.02, requests: 1}}).hint).toContain("(0.020 ms/token, 1 request without reuse)");
        expect(stats.buckets.map(bucketTimeSaved)).toEqual(["≈ 8 ms of prefill saved", ""]);
        expect(bucketTimeSaved({...stats.buckets[0]!, timeSavedMs: null})).toBe("");
    });
});
