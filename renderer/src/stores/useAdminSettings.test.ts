import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {fakeSettings} from "../testing/fakeAdmin.js";
import {FakeBackend} from "../testing/fakes.js";
import {adminSettingsInitialState, useAdminSettings} from "./useAdminSettings.js";

const state = () => useAdminSettings.getState();

describe("useAdminSettings", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useAdminSettings.setState(adminSettingsInitialState);
    });
    afterEach(() => setBackend(null));

    it("loads the settings and applies a valid change", async () => {
        await state().load();
        expect(state().settings?.sharing.similarityThreshold).toBe(0.3);
        expect(await state().patch({sharing: {similarityThreshold: 0.9}})).toBe(true);
        expect(state().settings?.sharing.similarityThreshold).toBe(0.9);
        expect(state().savedAt).not.toBeNull();
        expect(backend.adminFake.calls.at(-1)).toEqual({op: "patchSettings", input: {sharing: {similarityThreshold: 0.9}}});
    });

    it("keeps the old settings and shows the server's message when a change is refused", async () => {
        await state().load();
        expect(await state().patch({sharing: {similarityThreshold: 1.5}})).toBe(false);
        expect(state().error).toMatch(/between 0 and 1/);
        expect(state().settings?.sharing.similarityThreshold).toBe(0.3);
        expect(state().saving).toBe(false);
    });

    it("clears the cache and reports what was freed", async () => {
        expect(await state().clearCache()).toBe(true);
        expect(state().lastCleared).toEqual({removedEntries: 2, freedBytes: 1024});
    });

    it("records where the app moved after a port change in headless mode, and nowhere when it stays", async () => {
        await state().load();
        expect(await state().patch({sharing: {topK: 4}})).toBe(true);
        expect(state().movedTo).toBeNull();
        expect(await state().patch({api: {port: 9090}})).toBe(true);
        expect(state().settings?.api.url).toBe("http://127.0.0.1:9090");
        expect(state().movedTo).toBe("http://127.0.0.1:9090");
    });

    it("does not call it a move when the server does not serve this page (Electron)", async () => {
        backend.adminFake.settings = {...backend.adminFake.settings, api: {...backend.adminFake.settings.api, servesUi: false}};
        await state().load();
        expect(await state().patch({api: {port: 9090}})).toBe(true);
        expect(state().movedTo).toBeNull();
        expect(await state().patch({api: {enabled: false}})).toBe(true);
        expect(state().settings?.api).toMatchObject({enabled: false, url: null});
    });

    it("shows the server's reason when the API cannot move or be turned off, keeping the old settings", async () => {
        backend.adminFake.busyPorts.add(9191);
        await state().load();
        expect(await state().patch({api: {port: 9191}})).toBe(false);
        expect(state().error).toMatch(/already in use/);
        expect(await state().patch({api: {enabled: false}})).toBe(false);
        expect(state().error).toMatch(/headless mode/);
        expect(state().settings?.api).toMatchObject({enabled: true, port: fakeSettings.api.port});
        expect(state().movedTo).toBeNull();
    });
});
