import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {fakeSettings} from "../testing/fakeAdmin.js";
import {FakeBackend} from "../testing/fakes.js";
import {draftFrom} from "../lib/settingsForm.js";
import {adminSettingsInitialState, useAdminSettings} from "./useAdminSettings.js";
import {useProfiles} from "./useProfiles.js";

const state = () => useAdminSettings.getState();

describe("useAdminSettings", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useAdminSettings.setState(adminSettingsInitialState);
        useProfiles.setState({profiles: [], active: "Guest", loaded: false, error: null});
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

    /** What the panel's form does while it holds edits not saved: keeps them, over the settings they were typed on. */
    const editing = () => useAdminSettings.setState({unsaved: {draft: draftFrom(state().settings!), base: state().settings!}});

    it("says which fields another window changed since the page read them, saves nothing, and saves on a second try", async () => {
        await state().load();
        // Another window saves a budget and turns sharing off.
        backend.adminFake.settings.sharing = {...backend.adminFake.settings.sharing, recomputeBudget: 0.1, enabled: false};
        expect(await state().patch({sharing: {recomputeBudget: 0.3, topK: 7}})).toBe(false);
        expect(state().error).toBe(
            "Changed in another window since this page read the settings: Recompute budget (now 0.1). Your other changes are not saved yet either: save again to replace it with yours, or Reset to see theirs."
        );
        expect(backend.adminFake.settings.sharing).toMatchObject({recomputeBudget: 0.1, topK: fakeSettings.sharing.topK});
        // Saved again, knowingly: this change's fields go through, the other window's other field stays.
        expect(await state().patch({sharing: {recomputeBudget: 0.3, topK: 7}})).toBe(true);
        expect(backend.adminFake.settings.sharing).toMatchObject({recomputeBudget: 0.3, topK: 7, enabled: false});
        expect(state().seenElsewhere).toBeNull();
        // A field nobody else changed saves at once.
        expect(await state().patch({sharing: {topK: 8}})).toBe(true);
    });

    it("shows another window's save when read again, without the last save's 'Saved'", async () => {
        await state().load();
        expect(await state().patch({sharing: {topK: 7}})).toBe(true);
        expect(state().savedAt).not.toBeNull();
        await state().refresh();
        expect(state().savedAt).not.toBeNull();
        backend.adminFake.settings.sharing = {...backend.adminFake.settings.sharing, topK: 12};
        await state().refresh();
        expect([state().settings?.sharing.topK, state().savedAt]).toEqual([12, null]);
    });

    it("reads the settings again after a profile change when nothing is being edited, so the Groups box shows it", async () => {
        await state().refresh();
        expect(backend.adminFake.count("getSettings")).toBe(0);
        await state().load();
        const loaded = state().settings;
        expect(await useProfiles.getState().add("teacher1", "class7")).toBe(true);
        await vi.waitFor(() => expect(state().settings?.sharing.groups).toEqual({teacher1: "class7"}));
        expect(loaded?.sharing.groups).toEqual({});
    });

    it("keeps the copy unsaved edits were typed on, and a groups change sent over it keeps a line added meanwhile (b)", async () => {
        await state().load();
        editing();
        expect(await useProfiles.getState().add("teacher1", "class7")).toBe(true);
        await state().refresh();
        expect(state().settings?.sharing.groups).toEqual({});
        // The admin adds an unrelated line to the groups they see and saves.
        expect(await state().patch({sharing: {groups: {lab: "night"}}})).toBe(true);
        expect(backend.adminFake.calls.at(-1)).toEqual({op: "patchSettings", input: {sharing: {groups: {lab: "night"}}, baseGroups: {}}});
        expect(state().settings?.sharing.groups).toEqual({teacher1: "class7", lab: "night"});
        expect(backend.adminFake.settings.sharing.groups).toEqual({teacher1: "class7", lab: "night"});
    });

    it("shows why a groups change over a line changed meanwhile was refused, and saves nothing", async () => {
        backend.adminFake.settings.sharing.groups = {nurse1: "ward1"};
        await state().load();
        editing();
        expect(await useProfiles.getState().add("nurse1", "ward4")).toBe(true);
        expect(await state().patch({sharing: {groups: {nurse1: "ward3"}, topK: 2}})).toBe(false);
        expect(state().error).toMatch(/nurse1 was moved from ward1 to ward4 meanwhile, and this change puts them in ward3\. Nothing was saved/);
        expect(backend.adminFake.settings.sharing).toMatchObject({groups: {nurse1: "ward4"}, topK: fakeSettings.sharing.topK});
    });

    it("does not show a read answered after a later one", async () => {
        await state().load();
        const admin = backend.admin.bind(backend);
        let answerFirst!: () => void;
        const first = new Promise<void>((resolve) => (answerFirst = resolve));
        let held = true;
        backend.admin = (async (op: Parameters<typeof admin>[0], input: never) => {
            const output: unknown = await admin(op, input);
            if (op === "getSettings" && held) {
                held = false;
                await first;
            }
            return output;
        }) as typeof backend.admin;
        const older = state().load();
        await Promise.resolve();
        await useProfiles.getState().add("teacher1", "class7");
        await vi.waitFor(() => expect(state().settings?.sharing.groups).toEqual({teacher1: "class7"}));
        answerFirst();
        await older;
        expect(state().settings?.sharing.groups).toEqual({teacher1: "class7"});
    });
});
