import {describe, expect, it} from "vitest";
import {maxRememberedIds, PurgeLedger} from "./PurgeLedger.js";

describe("PurgeLedger", () => {
    it("keeps a prompt unless its scope, its sender or the whole cache was purged since it arrived", () => {
        const ledger = new PurgeLedger();
        const arrived = ledger.epoch;
        expect(ledger.keeps({scope: "user:ana", owner: "ana", epoch: arrived})).toBe(true);
        ledger.scopePurged("user:ana");
        expect(ledger.keeps({scope: "user:ana", epoch: arrived})).toBe(false);
        ledger.ownerPurged("bo");
        expect(ledger.keeps({scope: "global", owner: "bo", epoch: arrived})).toBe(false);
        expect(ledger.keeps({scope: "global", owner: "cy", epoch: arrived})).toBe(true);
        ledger.cleared();
        expect(ledger.keeps({scope: "global", owner: "cy", epoch: arrived})).toBe(false);
        expect(ledger.keeps({scope: "global", owner: "cy", epoch: ledger.epoch})).toBe(true);
        // A prompt that never noted an epoch (a shared prefix) is not a request served across a clear.
        expect(ledger.keeps({scope: "global"})).toBe(true);
    });

    it("remembers the latest deleted entries, a bounded number", () => {
        const ledger = new PurgeLedger();
        for (let id = 1; id <= maxRememberedIds + 1; id++) ledger.entryDeleted(id);
        expect(ledger.wasDeleted(1)).toBe(false);
        expect(ledger.wasDeleted(2)).toBe(true);
        expect(ledger.wasDeleted(maxRememberedIds + 1)).toBe(true);
        expect(ledger.wasDeleted(maxRememberedIds + 2)).toBe(false);
    });
});
