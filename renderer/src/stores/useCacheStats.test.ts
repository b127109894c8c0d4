import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import {FakeBackend} from "../testing/fakes.js";
import {selectTokensSavedShare, useCacheStats} from "./useCacheStats.js";

const state = () => useCacheStats.getState();

describe("useCacheStats", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useCacheStats.setState({stats: null, error: null, loading: false});
    });
    afterEach(() => setBackend(null));

    it("loads the dashboard numbers", async () => {
        await state().load();
        expect(state().stats?.totals.requests).toBe(3);
        expect(selectTokensSavedShare(state())).toBeCloseTo(40 / 150);
        expect(state().loading).toBe(false);
    });

    it("does not overlap loads and reports failures", async () => {
        const first = state().load();
        const second = state().load();
        await Promise.all([first, second]);
        expect(backend.adminFake.count("cacheStats")).toBe(1);
        backend.adminFake.failing.set("cacheStats", new ApiError("Incorrect API key provided.", 401));
        await state().load();
        expect(state().error).toMatch(/API key/);
        expect(selectTokensSavedShare({stats: null})).toBe(0);
    });
});
