import {describe, expect, it} from "vitest";
import {CursorError, decodeCursor, encodeCursor, neighbourCursors, pageWindow, requestedPage, type ListingFilters} from "./cachedPromptsListing.js";

/** Ids newest first, as a listing holds them: `count` down to 1. */
const ids = (count: number) => Array.from({length: count}, (_, i) => count - i);

describe("pageWindow", () => {
    it("cuts pages by the entry each ends with, so a deleted one shifts nothing", () => {
        const all = ids(25);
        expect(pageWindow(all, {}, 10)).toEqual({start: 0, end: 10, nextBefore: 16, previousAfter: null});
        expect(pageWindow(all, {before: 16}, 10)).toEqual({start: 10, end: 20, nextBefore: 6, previousAfter: 15});
        // 15 and 14, the next page's first, are deleted: it starts at 13 all the same.
        const fewer = all.filter((id) => id !== 15 && id !== 14);
        expect(pageWindow(fewer, {before: 16}, 10)).toMatchObject({start: 10, end: 20, nextBefore: 4});
        expect(pageWindow(all, {before: 6}, 10)).toEqual({start: 20, end: 25, nextBefore: null, previousAfter: 5});
    });

    it("goes back to the entries just newer than a page's first, filling a short first page from below", () => {
        const all = ids(25);
        expect(pageWindow(all, {after: 15}, 10)).toEqual({start: 0, end: 10, nextBefore: 16, previousAfter: null});
        expect(pageWindow(all, {after: 5}, 10)).toEqual({start: 10, end: 20, nextBefore: 6, previousAfter: 15});
        // Three of the first page deleted: the first page is still a full one.
        expect(pageWindow(all.slice(3), {after: 15}, 10)).toEqual({start: 0, end: 10, nextBefore: 13, previousAfter: null});
    });

    it("gives the last page as the one before a page past the end (its entries deleted)", () => {
        // The last page (5 to 1) deleted while it was shown.
        const left = ids(25).filter((id) => id > 5);
        expect(pageWindow(left, {before: 6}, 10)).toEqual({start: 20, end: 20, nextBefore: null, previousAfter: 0});
        expect(pageWindow(left, {after: 0}, 10)).toEqual({start: 10, end: 20, nextBefore: null, previousAfter: 15});
        expect(pageWindow([], {before: 6}, 10)).toEqual({start: 0, end: 0, nextBefore: null, previousAfter: null});
    });

    it("skips `offset` entries, from the start or from a cursor's entry", () => {
        expect(pageWindow(ids(25), {offset: 20}, 10)).toEqual({start: 20, end: 25, nextBefore: null, previousAfter: 5});
        expect(pageWindow(ids(25), {offset: 40}, 10)).toMatchObject({start: 25, end: 25});
    });
});

describe("cursors", () => {
    const search = {scope: "global", text: "fever"};

    it("name a listing's page for one search, and come back from the pages around one", () => {
        const {nextCursor, previousCursor} = neighbourCursors({newest: 90, nextBefore: 41, previousAfter: 60}, search);
        expect(nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(nextCursor!, search)).toEqual({newest: 90, before: 41});
        expect(decodeCursor(previousCursor!, search)).toEqual({newest: 90, after: 60});
        expect(neighbourCursors({newest: 90, nextBefore: null, previousAfter: null}, search)).toEqual({nextCursor: null, previousCursor: null});
        expect(requestedPage(nextCursor!, undefined, search)).toEqual({newest: 90, before: 41});
        expect(requestedPage(undefined, 40, {})).toEqual({offset: 40});
        expect(requestedPage(undefined, undefined, {})).toEqual({});
    });

    it("refuses one made up, altered, of another search, or beside an offset", () => {
        const good = encodeCursor({newest: 9, before: 4}, search);
        const refused = (cursor: string, filters: ListingFilters = search, offset?: number) => {
            try {
                requestedPage(cursor, offset, filters);
            } catch (error) {
                expect(error).toBeInstanceOf(CursorError);
                return `${(error as CursorError).param}: ${(error as Error).message}`;
            }
            throw new Error(`${cursor} was taken`);
        };
        for (const bad of [
            "abc",
            "!!!",
            btoa("[1,2]"),
            btoa(JSON.stringify({v: 1, n: 9, b: 4, a: 3, f: "x"})),
            btoa(JSON.stringify({v: 1, n: -1, b: 4, f: "x"}))
        ])
            expect(refused(bad)).toBe("cursor: 'cursor' is not one this list gave out: list again without it, from the first page.");
        expect(refused(good, {scope: "global", text: "FEVER"})).toMatch(/^cursor: 'cursor' belongs to another search/);
        expect(refused(good, {scope: "global"})).toMatch(/^cursor: 'cursor' belongs to another search/);
        expect(refused(good, search, 0)).toBe("offset: 'offset' cannot be combined with 'cursor': the cursor names its page.");
    });
});
