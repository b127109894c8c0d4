import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import {FakeBackend} from "../testing/fakes.js";
import {adminSettingsInitialState, useAdminSettings} from "./useAdminSettings.js";
import {ACTIVE_PROFILE_STORAGE, useProfiles} from "./useProfiles.js";

const state = () => useProfiles.getState();

describe("useProfiles", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        localStorage.clear();
        backend = new FakeBackend();
        setBackend(backend);
        useProfiles.setState({profiles: [], active: "Guest", loaded: false, error: null});
        useAdminSettings.setState(adminSettingsInitialState);
    });
    afterEach(() => setBackend(null));

    it("creates the default profile on a fresh server", async () => {
        await state().load();
        expect(state().profiles).toEqual([{name: "Guest"}]);
        expect(state().active).toBe("Guest");
        expect(state().loaded).toBe(true);
        expect(backend.adminFake.count("saveProfile")).toBe(1);
    });

    it("adds a profile with a group, makes it active and remembers the choice", async () => {
        await state().load();
        expect(await state().add("  Nurse ", "ward-3")).toBe(true);
        expect(state().profiles).toEqual([{name: "Guest"}, {name: "Nurse", group: "ward-3"}]);
        expect(state().active).toBe("Nurse");
        expect(localStorage.getItem(ACTIVE_PROFILE_STORAGE)).toBe("Nurse");
        state().select("Guest");
        expect(state().active).toBe("Guest");
        state().select("Nobody");
        expect(state().active).toBe("Guest");
        expect(await state().add("   ")).toBe(false);
    });

    it("keeps a remembered profile after a reload and falls back when it was removed", async () => {
        backend.adminFake.profiles = ["Nurse", "Student"];
        useProfiles.setState({active: "Student"});
        await state().load();
        expect(state().active).toBe("Student");
        await state().remove("Student");
        expect(state().active).toBe("Nurse");
        expect(state().profiles).toEqual([{name: "Nurse"}]);
    });

    it("keeps a profile added while the start-up list was on its way", async () => {
        backend.adminFake.profiles = ["Guest"];
        const answerList = backend.holdAnswers("listProfiles");
        const loading = state().load();
        await Promise.resolve();
        expect(await state().add("Nurse")).toBe(true);
        answerList();
        await loading;
        expect(state().profiles).toEqual([{name: "Guest"}, {name: "Nurse"}]);
        expect(state().active).toBe("Nurse");
        expect(state().loaded).toBe(true);
        expect(localStorage.getItem(ACTIVE_PROFILE_STORAGE)).toBe("Nurse");
    });

    it("shows the server's refusal", async () => {
        backend.adminFake.failing.set("saveProfile", new ApiError("'name' has characters that are not allowed.", 400));
        expect(await state().add("a/b")).toBe(false);
        expect(state().error).toMatch(/not allowed/);
    });

    it("shows the group the admin settings give a profile, once they are saved (a)", async () => {
        await state().load();
        await state().add("nurse1", "ward1");
        await useAdminSettings.getState().load();
        const loads = backend.adminFake.count("listProfiles");
        // Settings whose groups agree with the list read nothing again.
        expect(await useAdminSettings.getState().patch({sharing: {topK: 4}})).toBe(true);
        expect(backend.adminFake.count("listProfiles")).toBe(loads);
        expect(await useAdminSettings.getState().patch({sharing: {groups: {nurse1: "ward2"}}})).toBe(true);
        await vi.waitFor(() => expect(state().profiles).toContainEqual({name: "nurse1", group: "ward2"}));
        expect(state().active).toBe("nurse1");
        expect(await useAdminSettings.getState().patch({sharing: {groups: {}}})).toBe(true);
        await vi.waitFor(() => expect(state().profiles).toContainEqual({name: "nurse1"}));
    });

    it("lists a profile's group from the sharing groups, as the server does", async () => {
        backend.adminFake.profiles = ["Nurse"];
        backend.adminFake.settings.sharing.groups = {Nurse: "ward-1", someone: "ward-2"};
        await state().load();
        expect(state().profiles).toEqual([{name: "Nurse", group: "ward-1"}]);
        await state().remove("Nurse");
        expect(backend.adminFake.settings.sharing.groups).toEqual({someone: "ward-2"});
    });
});
