import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {FakeBackend} from "../testing/fakes.js";
import {useApiKeys} from "./useApiKeys.js";

const state = () => useApiKeys.getState();

describe("useApiKeys", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useApiKeys.setState({keys: [], created: null, error: null, busy: false});
    });
    afterEach(() => setBackend(null));

    it("creates a key, keeping its plain text only until dismissed", async () => {
        expect(await state().create(" reception ", " front-desk ")).toBe(true);
        expect(backend.adminFake.calls.at(-1)).toEqual({op: "createKey", input: {name: "reception", group: "front-desk"}});
        expect(state().created?.key).toMatch(/^kvs-fake-/);
        expect(state().keys).toEqual([state().created!.entry]);
        expect(JSON.stringify(state().keys)).not.toContain(state().created!.key);
        state().dismissCreated();
        expect(state().created).toBeNull();
        await state().load();
        expect(state().keys.map((k) => k.name)).toEqual(["reception"]);
    });

    it("sends no group when none is given", async () => {
        await state().create("lab", "  ");
        expect(backend.adminFake.calls.at(-1)).toEqual({op: "createKey", input: {name: "lab"}});
    });

    it("shows the server's message for a reserved name", async () => {
        expect(await state().create("admin")).toBe(false);
        expect(state().error).toMatch(/reserved/);
        expect(state().busy).toBe(false);
        expect(state().keys).toEqual([]);
    });

    it("revokes a key and forgets it if it was the one just shown", async () => {
        await state().create("a");
        await state().create("b");
        const b = state().created!.entry.id;
        expect(await state().revoke(b)).toBe(true);
        expect(state().keys.map((k) => k.name)).toEqual(["a"]);
        expect(state().created).toBeNull();
        expect(await state().revoke("nope")).toBe(false);
        expect(state().error).toMatch(/No key with id/);
    });
});
