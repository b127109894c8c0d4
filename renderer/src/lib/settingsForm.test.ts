import {describe, expect, it} from "vitest";
import {fakeSettings} from "../testing/fakeAdmin.js";
import {isLoopback} from "../../../shared/hosts.js";
import {recomputePolicies} from "../../../shared/settings.js";
import {draftFrom, friendlySettingsError, parseGroups, parseSharedPrefixes, patchFrom, recomputePolicyHints, recomputePolicyLabels} from "./settingsForm.js";

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

    it("sends the recompute policy only when another one is picked, and names every policy", () => {
        const draft = draftFrom(fakeSettings);
        expect(draft.recomputePolicy).toBe("dhd-decode");
        expect(patchFrom(fakeSettings, {...draft, recomputePolicy: "epic"})).toEqual({sharing: {recomputePolicy: "epic"}});
        expect(patchFrom({...fakeSettings, sharing: {...fakeSettings.sharing, recomputePolicy: "none"}}, {...draft, recomputePolicy: "none"})).toEqual({});
        expect(Object.keys(recomputePolicyLabels)).toEqual([...recomputePolicies]);
        expect(Object.keys(recomputePolicyHints)).toEqual([...recomputePolicies]);
    });

    it("passes out-of-range numbers on for the server to refuse, but not unreadable text", () => {
        const draft = draftFrom(fakeSettings);
        expect(patchFrom(fakeSettings, {...draft, similarityThreshold: "1.5"})).toEqual({sharing: {similarityThreshold: 1.5}});
        expect(patchFrom(fakeSettings, {...draft, topK: "many"})).toBe("Top-k must be a number.");
        expect(parseGroups("just a name")).toMatch(/not "user = group"/);
        // Only decimal numbers: the browser's Number() would read 0x1 as 1.
        expect(patchFrom(fakeSettings, {...draft, similarityThreshold: "0x1"})).toBe("Similarity threshold must be a number.");
        // Budgets and the monitor's share are bounded here, in the fields' own units and names (the server speaks of bytes and shares).
        expect(patchFrom(fakeSettings, {...draft, budgetMiB: "-5"})).toBe("Snapshot budget must be between 0 and 1,048,576 MiB (1 TiB); got -5.");
        expect(patchFrom(fakeSettings, {...draft, memoryMiB: "2000000"})).toBe("Memory tier must be between 0 and 1,048,576 MiB (1 TiB); got 2,000,000.");
        expect(patchFrom(fakeSettings, {...draft, monitorPercent: "250"})).toBe(
            "The quality monitor share must be between 0 and 100% (or empty for the app's default); got 250%."
        );
        expect(patchFrom(fakeSettings, {...draft, monitorPercent: "25"})).toEqual({sharing: {monitorShare: 0.25}});
        expect(patchFrom(fakeSettings, {...draft, scopeOverrides: {"group:ward-3": {similarityThreshold: "2", recomputeBudget: ""}}})).toMatch(
            /^The threshold of group:ward-3 must be between 0 and 1/
        );
    });

    it("refuses a user listed in two groups, naming both lines", () => {
        expect(parseGroups("nurse-1 = ward-3\nnurse-2 = ward-3")).toEqual({"nurse-1": "ward-3", "nurse-2": "ward-3"});
        expect(parseGroups("nurse-1 = ward 3\n\nnurse-1 = ward-4")).toBe(
            "Line 3 of the groups puts nurse-1 in a group again (line 1 put them in ward 3): a user belongs to one group."
        );
    });

    it("reads back every group line it writes, whatever the names hold; a save of another field leaves the groups as they are", () => {
        const groups = {"Night: nurse": "ward-3", "a=b": "x = y", 'say "hi"': '"q"', " padded ": "ward 4", plain: "ward:5"};
        const settings = {...fakeSettings, sharing: {...fakeSettings.sharing, groups}};
        const draft = draftFrom(settings);
        expect(draft.groups.split("\n")).toEqual([
            '"Night: nurse" = ward-3',
            '"a=b" = x = y',
            '"say \\"hi\\"" = "\\"q\\""',
            '" padded " = ward 4',
            "plain = ward:5"
        ]);
        expect(parseGroups(draft.groups)).toEqual(groups);
        expect(patchFrom(settings, {...draft, topK: "9"})).toEqual({sharing: {topK: 9}});
        // Typed by hand: "=" is the separator where a line has one, so a name with ":" needs no quotes beside it.
        expect(parseGroups("ward3:nurse1 = ward-3\nnurse-2: ward-4")).toEqual({"ward3:nurse1": "ward-3", "nurse-2": "ward-4"});
        expect(parseGroups('"unclosed = ward')).toMatch(/goes in quotes/);
        expect(parseGroups("= ward")).toMatch(/not "user = group"/);
    });

    it("calls settings in the server's messages what the panel calls them", () => {
        expect(friendlySettingsError("sharing.topK must be between 1 and 64; got 0.")).toBe("Top-k must be between 1 and 64; got 0.");
        expect(friendlySettingsError("sharing.scopeOverrides.group:ward-3.recomputeBudget must be between 0 and 1.")).toBe(
            "The budget for group:ward-3 must be between 0 and 1."
        );
        expect(friendlySettingsError("api.port 80 is in use")).toBe("Port 80 is in use");
        expect(friendlySettingsError("sharing.somethingNew is odd")).toBe("sharing.somethingNew is odd");
    });

    it("sends the API server's on/off, host and port when they change", () => {
        const draft = draftFrom(fakeSettings);
        expect(draft).toMatchObject({apiEnabled: true, apiHost: "127.0.0.1", apiPort: String(fakeSettings.api.port)});
        expect(patchFrom(fakeSettings, {...draft, apiPort: " 9090 ", apiHost: " 0.0.0.0 "})).toEqual({api: {host: "0.0.0.0", port: 9090}});
        expect(patchFrom(fakeSettings, {...draft, apiEnabled: false})).toEqual({api: {enabled: false}});
        expect(patchFrom(fakeSettings, {...draft, apiPort: "0"})).toEqual({api: {port: 0}});
        expect(patchFrom(fakeSettings, {...draft, apiPort: "eighty"})).toMatch(/Port must be a number/);
        // An out-of-range port goes to the server, which says what is wrong.
        expect(patchFrom(fakeSettings, {...draft, apiPort: "70000"})).toEqual({api: {port: 70000}});
    });

    it("tells loopback hosts from addresses other machines can reach", () => {
        for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2", "0:0:0:0:0:0:0:1", "[::1]", "::ffff:127.0.0.1"])
            expect(isLoopback(host), host).toBe(true);
        for (const host of ["0.0.0.0", "192.168.1.20", "::", "kvshare.lan"]) expect(isLoopback(host), host).toBe(false);
    });
});

describe("shared prefixes in the settings form", () => {
    it("splits texts at lines holding only ---", () => {
        expect(parseSharedPrefixes("You are a nurse.\nBe kind.\n---\nDear patient,\n  ---  \n\n")).toEqual(["You are a nurse.\nBe kind.", "Dear patient,"]);
        expect(parseSharedPrefixes("")).toEqual([]);
    });
});
