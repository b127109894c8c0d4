/**
 * A profile's group as the sidebar shows it and as the Admin settings' Groups box edits it: one value, the
 * server's `sharing.groups`, whichever side changes it, and a save of the box never drops a line added from
 * the sidebar while the panel was open (the audit's two cases).
 */
import {act, cleanup, fireEvent, render, screen, waitFor} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {AdminPanel} from "../components/AdminPanel.js";
import {ProfileSwitcher} from "../components/ProfileSwitcher.js";
import {FakeBackend} from "../testing/fakes.js";
import {adminSettingsInitialState, useAdminSettings} from "./useAdminSettings.js";
import {useProfiles} from "./useProfiles.js";

const groupsBox = () => screen.getByTestId("setting-groups") as HTMLTextAreaElement;

async function addProfile(name: string, group: string): Promise<void> {
    fireEvent.click(screen.getByTestId("profile-add"));
    fireEvent.change(screen.getByTestId("profile-name-input"), {target: {value: name}});
    fireEvent.change(screen.getByTestId("profile-group-input"), {target: {value: group}});
    await act(async () => fireEvent.click(screen.getByTestId("profile-save")));
}

async function saveGroups(text: string): Promise<void> {
    fireEvent.change(groupsBox(), {target: {value: text}});
    await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
}

describe("a profile's group, in the sidebar and the Admin settings", () => {
    let backend: FakeBackend;
    beforeEach(async () => {
        localStorage.clear();
        backend = new FakeBackend();
        setBackend(backend);
        useAdminSettings.setState(adminSettingsInitialState);
        useProfiles.setState({profiles: [], active: "Guest", loaded: false, error: null});
        await useProfiles.getState().load();
        render(
            <>
                <ProfileSwitcher />
                <AdminPanel />
            </>
        );
        await screen.findByTestId("setting-groups");
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("shows the group saved in the Groups box in the sidebar (a)", async () => {
        await addProfile("nurse1", "ward1");
        expect(screen.getByTestId("profile-group").textContent).toBe("group ward1");
        await saveGroups("nurse1 = ward2");
        await waitFor(() => expect(screen.getByTestId("profile-group").textContent).toBe("group ward2"));
        expect(backend.adminFake.settings.sharing.groups).toEqual({nurse1: "ward2"});
    });

    it("shows a profile added from the sidebar in the open panel's Groups box, and keeps it on the next save (b)", async () => {
        await addProfile("teacher1", "class7");
        await waitFor(() => expect(groupsBox().value).toBe("teacher1 = class7"));
        await saveGroups(`${groupsBox().value}\nlab = night`);
        expect(backend.adminFake.settings.sharing.groups).toEqual({teacher1: "class7", lab: "night"});
        expect(screen.getByTestId("profile-group").textContent).toBe("group class7");
    });

    it("keeps edits typed before a profile was added, and the profile's line on their save (b)", async () => {
        fireEvent.change(groupsBox(), {target: {value: "lab = night"}});
        await addProfile("teacher1", "class7");
        expect(groupsBox().value).toBe("lab = night");
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(backend.adminFake.settings.sharing.groups).toEqual({teacher1: "class7", lab: "night"});
        await waitFor(() => expect(groupsBox().value).toBe("teacher1 = class7\nlab = night"));
        expect(screen.getByTestId("profile-group").textContent).toBe("group class7");
    });
});
