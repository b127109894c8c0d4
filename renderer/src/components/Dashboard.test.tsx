import {act, cleanup, fireEvent, render, screen, waitFor, within} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {useApiKeys} from "../stores/useApiKeys.js";
import {useCacheStats} from "../stores/useCacheStats.js";
import {useConnection} from "../stores/useConnection.js";
import {fakeStats} from "../testing/fakeAdmin.js";
import {FakeBackend} from "../testing/fakes.js";
import {fitText, fitToAxis, wrapText} from "../lib/chartText.js";
import {Dashboard} from "./Dashboard.js";
import {bucketTimeSaved, nowFigures, timeSavedFigures, ttftLabel} from "./dashboardFigures.js";
import {donorLabels, donorTitle} from "./TopDonors.js";

describe("dashboard: time saved", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useCacheStats.setState({stats: null, error: null, loading: false, scope: null});
        useApiKeys.setState({keys: [], created: null, error: null, busy: false});
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

    it("shows the memory tier against its budget in the whole cache's view, and not in one scope's", async () => {
        render(<Dashboard />);
        expect((await screen.findByTestId("cache-memory")).textContent).toBe("512 B of 2.0 KiB");
        cleanup();
        backend.adminFake.stats = {...fakeStats(), scope: "group:ward-1", cache: {...fakeStats().cache, memoryBytes: null}};
        render(<Dashboard />);
        await screen.findByTestId("cache-entries");
        expect(screen.queryByTestId("cache-memory")).toBeNull();
    });

    it("shows the estimate next to tokens saved, saying what it rests on", async () => {
        backend.adminFake.stats = {
            ...fakeStats(),
            totals: {...fakeStats().totals, reusedTokens: 4000, timeSavedMs: 2400},
            prefill: {msPerToken: 0.6, fixedMs: 4, requests: 12}
        };
        render(<Dashboard />);
        const card = await screen.findByTestId("card-time-saved");
        expect(card.querySelector(".stat-card-value")?.textContent).toBe("≈ 2.40 s");
        expect(card.querySelector(".stat-card-hint")?.textContent).toBe(
            "≈ prefill time of the reused tokens, at this machine's prefill speed (0.60 ms/token beyond 4 ms a prefill takes anyway; fitted over 12 requests without reuse, of every scope); what reuse itself costs (reading, moving, recomputing) is not taken off: TTFT with and without reuse, below, shows the net"
        );
    });

    it("pauses its automatic refresh on request, the Now card's too, and says so", async () => {
        vi.useFakeTimers({shouldAdvanceTime: true});
        const health = (busy: number) => useConnection.setState({health: {status: "ok", slots_busy: busy, slots_idle: 4 - busy, queued: 0}});
        const now = () => screen.getByTestId("card-now").querySelector(".stat-card-value")?.textContent;
        try {
            act(() => health(1));
            render(<Dashboard />);
            await screen.findByTestId("card-time-saved");
            const loads = () => backend.adminFake.count("cacheStats");
            const before = loads();
            await act(async () => vi.advanceTimersByTime(5_100));
            expect(loads()).toBe(before + 1);
            expect(now()).toBe("1 answering");
            fireEvent.click(screen.getByTestId("dashboard-follow"));
            expect(screen.getByTestId("dashboard-follow").textContent).toBe("Resume refresh");
            expect(screen.getByText(/automatic refresh paused/)).toBeTruthy();
            // the header's health check goes on: the card holds what it showed
            act(() => health(3));
            expect(now()).toBe("1 answering");
            await act(async () => vi.advanceTimersByTime(20_000));
            expect(loads()).toBe(before + 1);
            await act(async () => fireEvent.click(screen.getByTestId("dashboard-refresh")));
            expect(now()).toBe("3 answering");
            const refreshed = loads();
            expect(refreshed).toBeGreaterThan(before + 1);
            act(() => health(2));
            expect(now()).toBe("3 answering");
            fireEvent.click(screen.getByTestId("dashboard-follow"));
            expect(now()).toBe("2 answering");
            await act(async () => vi.advanceTimersByTime(5_100));
            expect(loads()).toBe(refreshed + 1);
        } finally {
            vi.useRealTimers();
        }
    });

    it("says when there is nothing to estimate from yet, and per bucket only where tokens were saved", () => {
        const stats = fakeStats();
        expect(timeSavedFigures({...stats, totals: {...stats.totals, timeSavedMs: null}, prefill: {msPerToken: null, fixedMs: null, requests: 0}})).toEqual({
            value: "—",
            hint: "≈ prefill time saved, estimated from this machine's prefill speed once a request has been served without reuse"
        });
        expect(timeSavedFigures({...stats, prefill: {msPerToken: 0.02, fixedMs: 0, requests: 1}}).hint).toContain(
            "(0.020 ms/token; fitted over 1 request without reuse, of every scope)"
        );
        expect(stats.buckets.map(bucketTimeSaved)).toEqual(["≈ 8 ms of prefill saved", ""]);
        expect(bucketTimeSaved({...stats.buckets[0]!, timeSavedMs: null})).toBe("");
    });

    it("names an issued key's scope by the key, its id beside", async () => {
        backend.adminFake.keys = [{id: "5cba5e37dedb", name: "reception-app", hint: "kvs-aaaa", createdAt: "2025-01-01T00:00:00.000Z"}];
        backend.adminFake.stats = {...fakeStats(), scopes: ["global", "user:key/5cba5e37dedb"]};
        useCacheStats.setState({scope: "user:key/5cba5e37dedb"});
        render(<Dashboard />);
        const choice = (await screen.findByTestId("dashboard-scope")) as HTMLSelectElement;
        await waitFor(() =>
            expect([...choice.options].map((o) => o.textContent)).toEqual(["All scopes", "global", "reception-app (API key) · user:key/5cba5e37dedb"])
        );
        expect(within(screen.getByTestId("chart-quality")).getByRole("heading").textContent).toBe(
            "Quality monitor · reception-app (API key) user:key/5cba5e37dedb"
        );
    });

    it("says the history's days in the singular for one day", async () => {
        backend.adminFake.stats = {...fakeStats(), historyDays: 1};
        render(<Dashboard />);
        await screen.findByTestId("card-requests");
        expect(screen.getByTestId("dashboard").querySelector(".page-head p")?.textContent).toContain("History of the last 1 day, kept across restarts");
    });

    it("shows no rate and no chart without requests, saying there is nothing yet", async () => {
        const stats = fakeStats();
        const none = {count: 0, meanMs: null, medianMs: null, medianPromptTokens: null};
        backend.adminFake.stats = {
            ...stats,
            buckets: stats.buckets.map((b) => ({...b, requests: 0, hits: 0, donorHits: 0, promptTokens: 0, reusedTokens: 0})),
            totals: {requests: 0, hits: 0, donorHits: 0, hitRate: 0, promptTokens: 0, reusedTokens: 0, timeSavedMs: null},
            ttft: {withReuse: none, withoutReuse: none},
            prefill: {msPerToken: null, fixedMs: null, requests: 0},
            topDonors: []
        };
        render(<Dashboard />);
        const value = (testId: string) => screen.getByTestId(testId).querySelector(".stat-card-value")?.textContent;
        await screen.findByTestId("card-hit-rate");
        expect([value("card-hit-rate"), value("card-time-saved"), value("card-ttft")]).toEqual(["—", "—", "—"]);
        expect(screen.getByTestId("card-tokens-saved").querySelector(".stat-card-hint")?.textContent).toBe("— of 0 prompt tokens");
        for (const chart of ["chart-over-time", "chart-ttft", "chart-top-donors"]) {
            expect(within(screen.getByTestId(chart)).queryByRole("img")).toBeNull();
            expect(screen.getByTestId(chart).querySelector(".chart-empty")?.textContent).toMatch(/^No /);
        }
    });

    it("says when the donors reused are no longer cached, and names a donor whose text this view leaves out by its id", async () => {
        backend.adminFake.stats = {...fakeStats(), topDonors: []};
        render(<Dashboard />);
        const donors = await screen.findByTestId("chart-top-donors");
        expect(donors.querySelector(".chart-empty")?.textContent).toBe("None of the prompts reused as donors in this window is cached any more.");
        cleanup();
        backend.adminFake.stats = {...fakeStats(), topDonors: [{id: 65, hits: 2, lifetimeHits: 4, prompt: null, scope: "user:ben", bytes: 512}]};
        render(<Dashboard />);
        const hidden = await screen.findByTestId("chart-top-donors");
        expect(within(hidden).getByRole("img").getAttribute("aria-label")).toBe("Prompts reused most as donors: “#65 · another scope's prompt” 2 times.");
    });

    it("says what is answered and waiting now, all scopes, from the server's health; nothing where it does not say", () => {
        expect(nowFigures({status: "ok", model: "m", slots_idle: 1, slots_busy: 3, queued: 5})).toEqual({
            value: "3 answering",
            hint: "5 waiting · 1 of 4 sequences free · all scopes"
        });
        expect(nowFigures({status: "ok"}).value).toBe("—");
        expect(nowFigures(null).value).toBe("—");
    });

    it("labels the TTFT bars in short lines: the side, its requests, their prompts' median length", () => {
        expect(ttftLabel("With reuse", {count: 104, meanMs: 1, medianMs: 1, medianPromptTokens: 109.6})).toEqual([
            "With reuse",
            "104 requests",
            "~110 prompt tokens"
        ]);
        expect(ttftLabel("Without reuse", {count: 1, meanMs: 1, medianMs: 1, medianPromptTokens: null})).toEqual(["Without reuse", "1 request"]);
    });

    it("labels donors that start alike (one system prompt) by where they part, a donor alone by its start", () => {
        const system = "You are a helpful assistant at a help desk. Answer briefly.";
        const donor = (id: number, prompt: string | null) => ({id, hits: 1, lifetimeHits: 1, prompt, scope: "global", bytes: 1});
        expect(
            donorLabels([
                donor(1, `${system} How do I reset my password?`),
                donor(2, `${system} Where is the printer on floor 2?`),
                donor(3, "Once upon a time there was a fox"),
                donor(4, "Once upon a time there was a fox"),
                donor(5, null)
            ])
        ).toEqual([
            "… How do I reset my password?",
            "… Where is the printer on floor 2?",
            // The same text twice (two scopes): nothing after the shared start, its own start kept.
            "Once upon a time there was a fox",
            "Once upon a time there was a fox",
            "#5 · another scope's prompt"
        ]);
        // Two words in common are no shared start.
        expect(donorLabels([donor(1, "How do cats purr?"), donor(2, "How do dogs bark?")])).toEqual(["How do cats purr?", "How do dogs bark?"]);
    });

    it("cuts a donor's label at its end to fit the axis, the whole text in its tooltip", () => {
        const question = "Are pregnant healthcare personnel at increased risk for adverse outcomes?";
        // One unit a character: the start is kept, an ellipsis at the end, the end never drawn past the room.
        expect(fitText(question, 24, (t) => t.length)).toBe("Are pregnant healthcare…");
        expect(fitText("Short", 24, (t) => t.length)).toBe("Short");
        expect(fitText("a😀b😀c", 3, (t) => [...t].length)).toBe("a😀…");
        // On a phone's chart: the axis may take 162 px (150 for the label), 6 px a character in this stand-in for the canvas.
        const ctx = {font: "", save() {}, restore() {}, measureText: (t: string) => ({width: 6 * t.length})} as unknown as CanvasRenderingContext2D;
        expect(fitToAxis({ctx, maxWidth: 162}, question)).toBe("Are pregnant healthcare…");
        expect(wrapText(question, 40, 6)).toEqual(["Are pregnant healthcare personnel at", "increased risk for adverse outcomes?"]);
        expect(wrapText("x".repeat(100), 40, 2)).toEqual(["x".repeat(40), `${"x".repeat(39)}…`]);
        const stats = {
            ...fakeStats(),
            topDonors: [{id: 3, hits: 2, lifetimeHits: 2, prompt: `${question}\n  And for their babies?`, scope: "global", bytes: 1}]
        };
        expect(donorTitle(stats, 0)).toEqual(["Are pregnant healthcare personnel at", "increased risk for adverse outcomes? And", "for their babies?"]);
    });

    it("names each chart with what it shows, and says the TTFT leaves the queue wait out", async () => {
        render(<Dashboard />);
        await screen.findByTestId("chart-ttft");
        const name = (testId: string) => within(screen.getByTestId(testId)).getByRole("img").getAttribute("aria-label");
        expect(name("chart-over-time")).toMatch(
            /^Hit rate and tokens saved over the last 20 s: 40 prompt tokens saved, 1 of 3 requests served from a donor; most in one 10 s bar: 40 tokens at \d\d:\d\d:\d\d\.$/
        );
        expect(name("chart-ttft")).toBe(
            "Time to first token, queue wait left out. With reuse (1 request, median prompt 40 tokens): mean 5 ms, median 5 ms. Without reuse (2 requests, median prompt 12 tokens): mean 12 ms, median 12 ms."
        );
        expect(name("chart-cache-size")).toBe("Cache snapshots use 25% of the budget: 1.0 KiB of 4.0 KiB in 2 entries.");
        expect(name("chart-top-donors")).toBe("Prompts reused most as donors: “Once upon a time” 1 time.");
        expect(within(screen.getByTestId("chart-ttft")).getByRole("heading").textContent).toBe("TTFT with vs without reuse, queue wait left out");
        expect(screen.getByTestId("card-ttft").textContent).toContain("queue wait left out");
    });
});
