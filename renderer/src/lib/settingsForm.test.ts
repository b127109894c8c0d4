import {describe, expect, it} from "vitest";
import {fakeSettings} from "../testing/fakeAdmin.js";
import {draftFrom, parseGroups, patchFrom} from "./settingsForm.js";

describe("settings form", () => {
    it("sends only what changed", () => {
        const draft = draftFrom(fakeSettings);
        expect(patchFrom(fakeSettings, draft)).toEqual({});
        expect(patchFrom(fakeSettings, {...draft, similarityThreshold: "0.9", scopePolicy: "group", groups: "Nurse = ward\nTom: class-2"})).toEqual({
            sharing: {similarityThreshold: 0.9, scopePolicy: "group", groups: {Nurse: "ward", Tom: "class-2"}}
        });
        expect(patchFrom(fakeSettings, {...draft, budgetMiB: "64", corsOrigins: "http://localhost:3000\n"})).toEqual({
            sharing: {maxSnapshotBytes: 64 * 1024 ** 2},
            api: {corsOrigins: ["http://localhost:3000"]}
        });
    });

    it("passes out-of-range numbers on for the server to refuse, but not unreadable text", () => {
        const draft = draftFrom(fakeSettings);
        expect(patchFrom(fakeSettings, {...draft, similarityThreshold: "1.5"})).toEqual({sharing: {similarityThreshold: 1.5}});
        expect(patchFrom(fakeSettings, {...draft, topK: "many"})).toBe("Top-k must be a number.");
        expect(parseGroups("just a name")).toMatch(/not "user = group"/);
    });
});
