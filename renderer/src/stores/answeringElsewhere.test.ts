import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {
    ANSWERING_STALE_MS,
    ANSWERING_STORAGE,
    announceAnswering,
    answeringElsewhere,
    followAnswersElsewhere,
    useAnsweringElsewhere
} from "./answeringElsewhere.js";

describe("answers streaming in another tab", () => {
    beforeEach(() => {
        localStorage.clear();
        useAnsweringElsewhere.setState({entries: {}});
    });
    afterEach(() => vi.useRealTimers());

    it("are announced in the shared storage while they stream, refreshed, and taken out when done", () => {
        vi.useFakeTimers({now: 1_000_000});
        const answer = announceAnswering("c1");
        expect(JSON.parse(localStorage.getItem(ANSWERING_STORAGE)!)).toEqual({c1: 1_000_000});
        vi.setSystemTime(1_000_500);
        answer.beat();
        // Not more often than the heartbeat.
        expect(JSON.parse(localStorage.getItem(ANSWERING_STORAGE)!)).toEqual({c1: 1_000_000});
        vi.setSystemTime(1_005_000);
        answer.beat();
        expect(JSON.parse(localStorage.getItem(ANSWERING_STORAGE)!)).toEqual({c1: 1_005_000});
        // Nothing streamed for a while (a long prefill): the timer keeps the entry fresh.
        vi.advanceTimersByTime(10_000);
        expect(JSON.parse(localStorage.getItem(ANSWERING_STORAGE)!)).toEqual({c1: 1_015_000});
        const other = announceAnswering("c2");
        answer.done();
        expect(Object.keys(JSON.parse(localStorage.getItem(ANSWERING_STORAGE)!) as object)).toEqual(["c2"]);
        other.done();
        vi.advanceTimersByTime(10_000);
        expect(JSON.parse(localStorage.getItem(ANSWERING_STORAGE)!)).toEqual({});
    });

    it("count while fresh: a tab that stopped refreshing (it crashed) no longer does", () => {
        expect(answeringElsewhere({c1: 1000}, "c1", 1000 + ANSWERING_STALE_MS - 1)).toBe(true);
        expect(answeringElsewhere({c1: 1000}, "c1", 1000 + ANSWERING_STALE_MS)).toBe(false);
        expect(answeringElsewhere({c1: 1000}, "c2", 1000)).toBe(false);
    });

    it("are followed through the storage event of the other tabs' writes", () => {
        const storage = new EventTarget();
        localStorage.setItem(ANSWERING_STORAGE, JSON.stringify({early: 5}));
        const stop = followAnswersElsewhere(storage as unknown as Window);
        expect(useAnsweringElsewhere.getState().entries).toEqual({early: 5});
        localStorage.setItem(ANSWERING_STORAGE, JSON.stringify({c1: 7}));
        storage.dispatchEvent(Object.assign(new Event("storage"), {key: ANSWERING_STORAGE}));
        expect(useAnsweringElsewhere.getState().entries).toEqual({c1: 7});
        localStorage.setItem(ANSWERING_STORAGE, "not json");
        storage.dispatchEvent(Object.assign(new Event("storage"), {key: ANSWERING_STORAGE}));
        expect(useAnsweringElsewhere.getState().entries).toEqual({});
        stop();
    });
});
