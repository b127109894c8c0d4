import {describe, expect, it} from "vitest";
import {mergeSettings, sameSettings, settingsOf} from "./conversationSettings.js";

const base = {title: "Chat", systemPrompt: "", params: {temperature: 0.7, max_tokens: 256}};

describe("mergeSettings", () => {
    it("keeps both sides' changes of different fields, each parameter a field of its own", () => {
        const theirs = {...base, title: "Named there", params: {...base.params, max_tokens: 64}};
        const mine = {...base, systemPrompt: "Be brief.", params: {...base.params, temperature: 0.1}};
        expect(mergeSettings(theirs, base, mine)).toEqual({
            title: "Named there",
            systemPrompt: "Be brief.",
            params: {temperature: 0.1, max_tokens: 64},
            pinned: false
        });
        // A pin is a field like the others: pinned there, renamed here, both kept; unpinned here wins over nothing there.
        expect(mergeSettings({...base, pinned: true}, base, {...base, title: "Mine"})).toMatchObject({title: "Mine", pinned: true});
        expect(mergeSettings(base, {...base, pinned: true}, {...base, pinned: false}).pinned).toBe(false);
    });

    it("takes the later save's value of a field both changed", () => {
        expect(mergeSettings({...base, title: "Theirs"}, base, {...base, title: "Mine"}).title).toBe("Mine");
    });

    it("keeps a parameter unset on either side unset, and takes one set only there", () => {
        const theirs = {...base, params: {temperature: 0.7, max_tokens: 256, seed: 4}};
        const mine = {...base, params: {temperature: undefined, max_tokens: 256}};
        expect(mergeSettings(theirs, base, mine).params).toEqual({max_tokens: 256, seed: 4});
        expect(mergeSettings({...base, params: {}}, base, base).params).toEqual({});
    });
});

describe("sameSettings", () => {
    it("compares every field; an unset parameter equals a missing one", () => {
        expect(sameSettings(base, settingsOf({...base, params: {...base.params, seed: undefined}}))).toBe(true);
        expect(sameSettings(base, {...base, params: {temperature: 0.7}})).toBe(false);
        expect(sameSettings(base, {...base, systemPrompt: "x"})).toBe(false);
        expect(sameSettings(base, {...base, pinned: false})).toBe(true);
        expect(sameSettings(base, {...base, pinned: true})).toBe(false);
    });
});
