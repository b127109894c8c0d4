import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {
    ANSWERING_STALE_MS,
    THIS_TAB,
    announceAnswering,
    answeringElsewhere,
    answeringEntryKey,
    answeringInThisBrowser,
    followAnswersElsewhere,
    useAnsweringElsewhere
} from "./answeringElsewhere.js";

type AnsweringModule = typeof import("./answeringElsewhere.js");

/** One tab of the browser: its own copy of the module (its own id and store) and its own window events. */
interface Tab {
    module: AnsweringModule;
    window: EventTarget;
    stop: () => void;
}

/** What the shared storage holds now. */
function snapshot(): Map<string, string | null> {
    const items = new Map<string, string | null>();
    for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i)!;
        items.set(key, localStorage.getItem(key));
    }
    return items;
}

/**
 * Tabs of one browser, as the browser runs them: they share the storage, and each write of one tab is a
 * storage event in every other tab (never in the tab that wrote).
 */
function browser() {
    const tabs: Tab[] = [];
    return {
        tabs,
        async open(): Promise<Tab> {
            vi.resetModules();
            const module = (await import("./answeringElsewhere.js")) as AnsweringModule;
            const window = new EventTarget();
            const tab: Tab = {module, window, stop: module.followAnswersElsewhere(window as unknown as Window)};
            tabs.push(tab);
            return tab;
        },
        /** Runs `action` in `tab`; the other tabs hear of each key it changed. */
        in<T>(tab: Tab, action: () => T): T {
            const before = snapshot();
            const result = action();
            const after = snapshot();
            const changed = [...new Set([...before.keys(), ...after.keys()])].filter((key) => before.get(key) !== after.get(key));
            for (const other of tabs) if (other !== tab) for (const key of changed) other.window.dispatchEvent(Object.assign(new Event("storage"), {key}));
            return result;
        }
    };
}

/** The chats `tab` shows as answered in another tab. */
const lockedIn = (tab: Tab): string[] =>
    Object.keys(tab.module.useAnsweringElsewhere.getState().entries).filter((id) =>
        tab.module.answeringElsewhere(tab.module.useAnsweringElsewhere.getState().entries, id)
    );

describe("answers streaming in another tab", () => {
    beforeEach(() => {
        localStorage.clear();
        useAnsweringElsewhere.setState({entries: {}});
    });
    afterEach(() => {
        vi.clearAllTimers();
        vi.useRealTimers();
    });

    it("are announced under this tab's own key while they stream, refreshed, and taken out when done", () => {
        vi.useFakeTimers({now: 1_000_000});
        const key = answeringEntryKey(THIS_TAB, "c1");
        const answer = announceAnswering("c1");
        expect(localStorage.getItem(key)).toBe("1000000");
        vi.setSystemTime(1_000_500);
        answer.beat();
        // Not more often than the heartbeat.
        expect(localStorage.getItem(key)).toBe("1000000");
        vi.setSystemTime(1_005_000);
        answer.beat();
        expect(localStorage.getItem(key)).toBe("1005000");
        // Nothing streamed for a while (a long prefill): the timer keeps the entry fresh.
        vi.advanceTimersByTime(10_000);
        expect(localStorage.getItem(key)).toBe("1015000");
        expect(answeringInThisBrowser("c1")).toBe(true);
        const other = announceAnswering("c2");
        answer.done();
        expect(localStorage.getItem(key)).toBeNull();
        expect(answeringInThisBrowser("c1")).toBe(false);
        expect(answeringInThisBrowser("c2")).toBe(true);
        other.done();
        // Done twice (the page went away, then the answer ended): a later answer of the chat keeps its entry.
        const again = announceAnswering("c2");
        other.done();
        expect(answeringInThisBrowser("c2")).toBe(true);
        again.done();
        vi.advanceTimersByTime(10_000);
        expect(localStorage.length).toBe(0);
    });

    it("count while fresh: a tab that stopped refreshing (it crashed) no longer does", () => {
        expect(answeringElsewhere({c1: 1000}, "c1", 1000 + ANSWERING_STALE_MS - 1)).toBe(true);
        expect(answeringElsewhere({c1: 1000}, "c1", 1000 + ANSWERING_STALE_MS)).toBe(false);
        expect(answeringElsewhere({c1: 1000}, "c2", 1000)).toBe(false);
    });

    it("are followed through the storage events of the other tabs' writes; this tab's own entries are never another tab's", () => {
        const window = new EventTarget();
        const tell = (key: string | null) => window.dispatchEvent(Object.assign(new Event("storage"), {key}));
        const t = Date.now();
        localStorage.setItem(answeringEntryKey("tab-b", "early"), String(t));
        const mine = announceAnswering("mine");
        const stop = followAnswersElsewhere(window as unknown as Window);
        expect(useAnsweringElsewhere.getState().entries).toEqual({early: t});
        localStorage.setItem(answeringEntryKey("tab-c", "c1"), String(t + 7));
        tell(answeringEntryKey("tab-c", "c1"));
        expect(useAnsweringElsewhere.getState().entries).toEqual({early: t, c1: t + 7});
        // Two tabs on one chat: the later refresh counts.
        localStorage.setItem(answeringEntryKey("tab-b", "c1"), String(t + 9));
        tell(answeringEntryKey("tab-b", "c1"));
        expect(useAnsweringElsewhere.getState().entries).toEqual({early: t, c1: t + 9});
        localStorage.setItem(answeringEntryKey("tab-b", "broken"), "not a time");
        localStorage.setItem("kvshare.unrelated", "1");
        tell(answeringEntryKey("tab-b", "broken"));
        expect(useAnsweringElsewhere.getState().entries).toEqual({early: t, c1: t + 9});
        localStorage.clear();
        tell(null);
        expect(useAnsweringElsewhere.getState().entries).toEqual({});
        mine.done();
        stop();
    });

    it("in five tabs answering at once: each sees the others' answers, never its own, and every lock goes the moment its answer ends", async () => {
        const tabs = browser();
        for (let i = 0; i < 5; i++) await tabs.open();
        const [a, b, c, d, e] = tabs.tabs as [Tab, Tab, Tab, Tab, Tab];
        const answers = tabs.tabs.map((tab, i) => tabs.in(tab, () => tab.module.announceAnswering(`chat-${i}`)));
        tabs.tabs.forEach((tab, i) => expect(lockedIn(tab).sort()).toEqual([0, 1, 2, 3, 4].filter((j) => j !== i).map((j) => `chat-${j}`)));
        // They end in another order than they began, each heard by the others at once.
        tabs.in(c, () => answers[2]!.done());
        tabs.in(a, () => answers[0]!.done());
        expect(lockedIn(e).sort()).toEqual(["chat-1", "chat-3"]);
        expect(lockedIn(b).sort()).toEqual(["chat-3", "chat-4"]);
        tabs.in(e, () => answers[4]!.done());
        tabs.in(b, () => answers[1]!.done());
        tabs.in(d, () => answers[3]!.done());
        for (const tab of tabs.tabs) expect(lockedIn(tab)).toEqual([]);
        for (const tab of tabs.tabs) tab.stop();
    });

    it("of a tab that crashed mid-answer stop counting once stale, and are cleared away by a tab opened much later", async () => {
        vi.useFakeTimers({now: 2_000_000});
        const tabs = browser();
        const crashed = await tabs.open();
        const open = await tabs.open();
        tabs.in(crashed, () => crashed.module.announceAnswering("c1"));
        expect(lockedIn(open)).toEqual(["c1"]);
        // The tab is gone without a word: its heartbeat stops, its entry stays.
        vi.clearAllTimers();
        vi.setSystemTime(2_000_000 + ANSWERING_STALE_MS - 1);
        expect(lockedIn(open)).toEqual(["c1"]);
        vi.setSystemTime(2_000_000 + ANSWERING_STALE_MS);
        expect(lockedIn(open)).toEqual([]);
        expect(open.module.answeringInThisBrowser("c1")).toBe(false);
        vi.setSystemTime(2_000_000 + 60 * 60_000);
        const later = await tabs.open();
        expect(lockedIn(later)).toEqual([]);
        expect(localStorage.length).toBe(0);
        for (const tab of tabs.tabs) tab.stop();
    });
});
