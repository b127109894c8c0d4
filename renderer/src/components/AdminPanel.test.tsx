import {act, cleanup, fireEvent, render, screen, waitFor} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {API_KEY_STORAGE} from "../backend/apiKey.js";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import {adminSettingsInitialState, useAdminSettings} from "../stores/useAdminSettings.js";
import {useApiKeys} from "../stores/useApiKeys.js";
import {useModels} from "../stores/useModels.js";
import {fakeSettings} from "../testing/fakeAdmin.js";
import {FakeBackend} from "../testing/fakes.js";
import {AdminPanel} from "./AdminPanel.js";

describe("AdminPanel: API server and keys", () => {
    let backend: FakeBackend;
    const writeText = vi.fn(async (_text: string) => {});
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useAdminSettings.setState(adminSettingsInitialState);
        useApiKeys.setState({keys: [], created: null, error: null, busy: false});
        Object.defineProperty(navigator, "clipboard", {value: {writeText}, configurable: true});
        writeText.mockClear();
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
        localStorage.removeItem(API_KEY_STORAGE);
    });

    it("issues a key shown once with a copy button and a warning, lists it, and revokes it", async () => {
        render(<AdminPanel />);
        expect(await screen.findByTestId("keys-empty")).toBeTruthy();
        // With whom keys share under the saved scope (a group given to a key is no wall under "everyone shares").
        expect(screen.getByTestId("key-sharing").textContent).toContain("every key's prompts share KV with everyone's, whatever its group");
        // Named by labels in sight, not by placeholders that go once something is typed.
        for (const [name, testId] of [
            ["Key name", "key-name"],
            ["Group (optional)", "key-group"]
        ]) {
            const field = screen.getByRole("textbox", {name});
            expect(field).toBe(screen.getByTestId(testId!));
            expect(field.getAttribute("aria-label")).toBeNull();
            expect(field.closest("label")?.querySelector(".field-label")?.textContent).toBe(name);
        }
        fireEvent.change(screen.getByTestId("key-name"), {target: {value: "reception"}});
        fireEvent.change(screen.getByTestId("key-group"), {target: {value: "front-desk"}});
        await act(async () => fireEvent.click(screen.getByTestId("key-create")));

        const box = screen.getByTestId("created-key-box");
        expect(box.textContent).toContain("it will not be shown again");
        const key = screen.getByTestId("created-key").textContent!;
        expect(key).toMatch(/^kvs-fake-/);
        await act(async () => fireEvent.click(screen.getByTestId("created-key-copy")));
        expect(writeText).toHaveBeenCalledWith(key);
        expect(screen.getByTestId("created-key-copy").textContent).toBe("Copied");

        const row = screen.getByTestId("key-row");
        expect(row.textContent).toContain("reception");
        expect(row.textContent).toContain("front-desk");
        expect(row.textContent).not.toContain(key);
        const done = screen.getByTestId("created-key-done");
        done.focus();
        fireEvent.click(done);
        expect(screen.queryByTestId("created-key")).toBeNull();
        // "Done" went with the focus: it is on the next key's name, not the page's top.
        expect(document.activeElement).toBe(screen.getByTestId("key-name"));

        fireEvent.click(screen.getByTestId("key-revoke"));
        // Purging the key's cached prompts is offered, and ticked by default.
        expect((screen.getByTestId("key-revoke-purge") as HTMLInputElement).checked).toBe(true);
        const confirm = screen.getByTestId("key-revoke-confirm");
        confirm.focus();
        await act(async () => fireEvent.click(confirm));
        expect(screen.queryByTestId("key-row")).toBeNull();
        // So did the revoked key's row.
        expect(document.activeElement).toBe(screen.getByTestId("key-name"));
        expect(backend.adminFake.count("revokeKey")).toBe(1);
        expect(backend.adminFake.calls.filter((c) => c.op === "revokeKey").map((c) => c.input)).toEqual([{id: expect.any(String), purge: true}]);
    });

    it("a revocation that fails keeps its row, and the focus goes back to its Revoke button", async () => {
        backend.adminFake.keys = [{id: "5cba5e37dedb", name: "reception-app", hint: "kvs-aaaa", createdAt: "2025-01-01T00:00:00.000Z"}];
        const admin = backend.admin.bind(backend);
        backend.admin = (async (op, input) => {
            if (op === "revokeKey") throw new ApiError("The keys file cannot be written.", 503, "unavailable_error", "keys_unavailable");
            return admin(op, input);
        }) as typeof backend.admin;
        render(<AdminPanel />);
        fireEvent.click(await screen.findByTestId("key-revoke"));
        const confirm = screen.getByTestId("key-revoke-confirm");
        confirm.focus();
        await act(async () => fireEvent.click(confirm));
        expect(screen.getByTestId("key-row")).toBeTruthy();
        expect(document.activeElement).toBe(screen.getByTestId("key-revoke"));
    });

    it("says where a start-up flag set the port for this run, and what settings.json keeps for the next start", async () => {
        backend.adminFake.settings.api = {...backend.adminFake.settings.api, port: 18941, saved: {host: "127.0.0.1", port: 18944}, flagOverrides: ["port"]};
        render(<AdminPanel />);
        const port = await screen.findByTestId("setting-api-port");
        const hint = port.closest("label, .field")?.querySelector(".field-hint")?.textContent;
        expect(hint).toMatch(/· set by a start-up flag for this run \(settings\.json: 18944\); saving a value here replaces it$/);
        const host = screen.getByTestId("setting-api-host").closest("label, .field")?.querySelector(".field-hint")?.textContent;
        expect(host).not.toMatch(/start-up flag/);
    });

    it("shows what another window saved when this one gets the focus again, unless something is being typed", async () => {
        render(<AdminPanel />);
        const topK = (await screen.findByTestId("setting-topk")) as HTMLInputElement;
        expect(topK.value).toBe(String(fakeSettings.sharing.topK));
        backend.adminFake.settings.sharing = {...backend.adminFake.settings.sharing, topK: 12};
        await act(async () => window.dispatchEvent(new Event("focus")));
        await waitFor(() => expect(topK.value).toBe("12"));
        // While an edit is being typed, the page keeps it (a save then says what changed elsewhere).
        fireEvent.change(topK, {target: {value: "9"}});
        backend.adminFake.settings.sharing = {...backend.adminFake.settings.sharing, topK: 15};
        await act(async () => window.dispatchEvent(new Event("focus")));
        expect(topK.value).toBe("9");
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(screen.getByTestId("settings-error").textContent).toMatch(/^Changed in another window since this page read the settings: Top-k \(now 15\)/);
        expect(backend.adminFake.settings.sharing.topK).toBe(15);
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(backend.adminFake.settings.sharing.topK).toBe(9);
    });

    it("shows a refused name with the server's message", async () => {
        render(<AdminPanel />);
        fireEvent.change(await screen.findByTestId("key-name"), {target: {value: "admin"}});
        await act(async () => fireEvent.click(screen.getByTestId("key-create")));
        expect(screen.getByTestId("keys-error").textContent).toMatch(/reserved/);
        expect(screen.queryByTestId("created-key")).toBeNull();
    });

    it("warns about a non-loopback host, cannot switch off the server that serves it, and links to where it moved", async () => {
        localStorage.setItem(API_KEY_STORAGE, "kvs-admin key");
        render(<AdminPanel />);
        expect((await screen.findByTestId("api-url")).textContent).toContain(`${fakeSettings.api.url}/v1`);
        expect((screen.getByTestId("setting-api-enabled") as HTMLInputElement).disabled).toBe(true);
        expect(screen.queryByTestId("api-lan-warning")).toBeNull();
        fireEvent.change(screen.getByTestId("setting-api-host"), {target: {value: "0.0.0.0"}});
        expect(screen.getByTestId("api-lan-warning").textContent).toMatch(/other machines on the network/);
        fireEvent.change(screen.getByTestId("setting-api-host"), {target: {value: "127.0.0.1"}});

        fireEvent.change(screen.getByTestId("setting-api-port"), {target: {value: "9090"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        await waitFor(() => expect(screen.getByTestId("api-moved")).toBeTruthy());
        const link = screen.getByTestId("api-moved-link") as HTMLAnchorElement;
        expect(link.textContent).toBe("http://127.0.0.1:9090");
        expect(link.getAttribute("href")).toBe("http://127.0.0.1:9090/#key=kvs-admin%20key");
        expect(backend.adminFake.calls.find((c) => c.op === "patchSettings")?.input).toEqual({api: {port: 9090}});
    });

    it("turns the API off and on in the desktop app, and shows a busy port's 409", async () => {
        backend.adminFake.settings = {...backend.adminFake.settings, api: {...backend.adminFake.settings.api, servesUi: false}};
        render(<AdminPanel />);
        const enabled = (await screen.findByTestId("setting-api-enabled")) as HTMLInputElement;
        expect(enabled.disabled).toBe(false);
        fireEvent.click(enabled);
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        await waitFor(() => expect(screen.getByTestId("api-url").textContent).toMatch(/Off/));
        expect(screen.queryByTestId("api-moved")).toBeNull();

        fireEvent.click(screen.getByTestId("setting-api-enabled"));
        backend.adminFake.busyPorts.add(9191);
        fireEvent.change(screen.getByTestId("setting-api-port"), {target: {value: "9191"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(screen.getByTestId("settings-error").textContent).toMatch(/already in use/);
    });

    it("offers the seven recompute policies by name next to the budget, says what the one chosen does, and saves the one picked", async () => {
        render(<AdminPanel />);
        const select = (await screen.findByTestId("setting-recompute-policy")) as HTMLSelectElement;
        expect(select.closest("label")?.querySelector(".field-label")?.textContent).toBe("Recompute policy");
        expect([...select.options].map((o) => [o.value, o.textContent])).toEqual([
            ["none", "None (new tokens only)"],
            ["boundary", "Edit boundaries"],
            ["epic", "First tokens of each run (EPIC)"],
            ["deviation", "Measured deviation (CacheBlend)"],
            ["dhd", "Deviation × attention (DHD)"],
            ["dhd-decode", "DHD + decode-stage fixes"],
            ["dhd-guard", "DHD + decode fixes + near-tie guard"]
        ]);
        expect(select.value).toBe("dhd-decode");
        const hint = () => select.closest("label")?.querySelector(".field-hint")?.textContent ?? "";
        expect(hint()).toMatch(/^DHD, then more measured tokens fixed/);
        fireEvent.change(select, {target: {value: "deviation"}});
        expect(hint()).toMatch(/^A probe of the first layers measures/);
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(backend.adminFake.calls.find((c) => c.op === "patchSettings")?.input).toEqual({sharing: {recomputePolicy: "deviation"}});
        await waitFor(() => expect(screen.getByTestId("settings-saved")).toBeTruthy());
        expect((screen.getByTestId("setting-recompute-policy") as HTMLSelectElement).value).toBe("deviation");
        expect(backend.adminFake.settings.sharing.recomputePolicy).toBe("deviation");
    });

    it("keeps unsaved edits when the panel is left and comes back, and asks before a reload loses them", async () => {
        const first = render(<AdminPanel />);
        const threshold = (await screen.findByTestId("setting-threshold")) as HTMLInputElement;
        fireEvent.change(threshold, {target: {value: "0.55"}});
        expect(screen.getByTestId("settings-unsaved").textContent).toBe("Unsaved changes");
        const reload = new Event("beforeunload", {cancelable: true});
        window.dispatchEvent(reload);
        expect(reload.defaultPrevented).toBe(true);

        first.unmount();
        // The panel is closed (another view): the edits are still kept, and a reload still asks.
        const closed = new Event("beforeunload", {cancelable: true});
        window.dispatchEvent(closed);
        expect(closed.defaultPrevented).toBe(true);
        render(<AdminPanel />);
        expect(((await screen.findByTestId("setting-threshold")) as HTMLInputElement).value).toBe("0.55");
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        await waitFor(() => expect(screen.getByTestId("settings-saved")).toBeTruthy());
        expect(useAdminSettings.getState().unsaved).toBeNull();
        const after = new Event("beforeunload", {cancelable: true});
        window.dispatchEvent(after);
        expect(after.defaultPrevented).toBe(false);
    });

    it("names settings as the panel does in the server's messages, and shows a failed Clear cache at its button", async () => {
        render(<AdminPanel />);
        fireEvent.change(await screen.findByTestId("setting-threshold"), {target: {value: "1.5"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(screen.getByTestId("settings-error").textContent).toMatch(/^Similarity threshold must be between 0 and 1/);

        backend.adminFake.failing.set("clearCache", new Error("The KVShare server is not reachable"));
        fireEvent.click(screen.getByTestId("clear-cache"));
        await act(async () => fireEvent.click(screen.getByTestId("clear-cache-confirm")));
        expect(screen.getByTestId("clear-cache-result").textContent).toBe("Not cleared: The KVShare server is not reachable");
        expect(screen.getByTestId("settings-error").textContent).not.toMatch(/reachable/);
        backend.adminFake.failing.delete("clearCache");
        fireEvent.click(screen.getByTestId("clear-cache"));
        await act(async () => fireEvent.click(screen.getByTestId("clear-cache-confirm")));
        expect(screen.getByTestId("clear-cache-result").textContent).toMatch(/^Removed \d+ (entry|entries), freed/);
    });

    it("drops an error once the values it was about change (an edit, Reset)", async () => {
        render(<AdminPanel />);
        const threshold = await screen.findByTestId("setting-threshold");
        fireEvent.change(threshold, {target: {value: "1.5"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(screen.getByTestId("settings-error").textContent).toMatch(/between 0 and 1/);
        fireEvent.click(screen.getByRole("button", {name: "Reset"}));
        expect(screen.queryByTestId("settings-error")).toBeNull();

        fireEvent.change(threshold, {target: {value: "abc"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(screen.getByTestId("settings-error").textContent).toMatch(/must be a number/);
        fireEvent.change(threshold, {target: {value: "0.6"}});
        expect(screen.queryByTestId("settings-error")).toBeNull();
    });
});

describe("AdminPanel: changes waiting for a model load, and confirmations by keyboard", () => {
    let backend: FakeBackend;
    const loaded = {status: "ok", progress: 1, modelId: "stories260K", modelPath: "/data/models/stories260K.gguf", error: null} as const;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useAdminSettings.setState(adminSettingsInitialState);
        useApiKeys.setState({keys: [], created: null, error: null, busy: false});
        useModels.setState({status: loaded});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });
    const footer = () => screen.getByTestId("settings-saved").textContent;
    const embedderHint = () => screen.getByTestId("setting-embedder").closest("label")!.querySelector(".field-hint")!.textContent;

    it("says a saved embedder waits for the model's next load, until a load that started with it ends", async () => {
        render(<AdminPanel />);
        fireEvent.change(await screen.findByTestId("setting-embedder"), {target: {value: "model"}});
        expect(embedderHint()).toMatch(/used once the model is loaded again \(Reload model now, under Model runtime\)/);
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        await waitFor(() => expect(footer()).toBe("Saved · the embedder takes effect when the model is next loaded"));
        expect(embedderHint()).toMatch(/model in use keeps the previous embedder until it is loaded again/);
        // The model runtime section offers the reload that applies it (a headless admin has no other way short of a restart).
        expect(screen.getByTestId("runtime-status").textContent).toMatch(/^Saved · the embedder takes effect when the model is next loaded\./);
        expect((screen.getByTestId("runtime-reload") as HTMLButtonElement).disabled).toBe(false);
        // Another change saved meanwhile: the embedder still waits.
        fireEvent.change(screen.getByTestId("setting-threshold"), {target: {value: "0.4"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        await waitFor(() => expect(backend.adminFake.settings.sharing.similarityThreshold).toBe(0.4));
        expect(footer()).toMatch(/the embedder takes effect when the model is next loaded/);

        // A model load (the picker's) starts with the saved embedder: once it is loaded, the change is in effect.
        act(() => useModels.setState({status: {...loaded, status: "loading", progress: 0}}));
        expect(footer()).toMatch(/next loaded/);
        act(() => useModels.setState({status: loaded}));
        expect(footer()).toBe("Saved · in effect now");
        expect(embedderHint()).toBe("Used to find similar prompts");
    });

    it("takes the embedder saved back to the one in use as in effect at once", async () => {
        render(<AdminPanel />);
        fireEvent.change(await screen.findByTestId("setting-embedder"), {target: {value: "model"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        await waitFor(() => expect(footer()).toMatch(/next loaded/));
        fireEvent.change(screen.getByTestId("setting-embedder"), {target: {value: "lexical"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        await waitFor(() => expect(footer()).toBe("Saved · in effect now"));
    });

    it("names each Revoke… by its key, moves the focus to the confirmation, and Esc cancels it back to the button", async () => {
        backend.adminFake.keys = [
            {id: "5cba5e37dedb", name: "reception-app", hint: "kvs-aaaa", createdAt: "2025-01-01T00:00:00.000Z"},
            {id: "0b1d2e3f4a5b", name: "nurse-station", hint: "kvs-bbbb", createdAt: "2025-01-01T00:00:00.000Z"}
        ];
        render(<AdminPanel />);
        const revoke = await screen.findByRole("button", {name: "Revoke reception-app…"});
        expect(screen.getByRole("button", {name: "Revoke nurse-station…"})).not.toBe(revoke);
        revoke.focus();
        fireEvent.click(revoke);
        const confirm = screen.getByRole("button", {name: "Revoke reception-app"});
        expect(document.activeElement).toBe(confirm);
        // Esc anywhere in the question (the purge option too) cancels it; nothing is revoked.
        fireEvent.keyDown(screen.getByTestId("key-revoke-purge"), {key: "Escape"});
        expect(screen.queryByTestId("key-revoke-confirm")).toBeNull();
        expect(document.activeElement).toBe(screen.getByRole("button", {name: "Revoke reception-app…"}));
        expect(backend.adminFake.count("revokeKey")).toBe(0);
    });

    it("asks before a smaller snapshot budget removes cached prompts, and says beside Saved how many it removed", async () => {
        backend.adminFake.stats = {...backend.adminFake.stats, cache: {...backend.adminFake.stats.cache, entries: 40, bytes: 40 * 1_048_576}};
        render(<AdminPanel />);
        const budget = await screen.findByTestId("setting-budget");
        fireEvent.change(budget, {target: {value: "10"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(screen.getByTestId("evict-question").querySelector("p")!.textContent).toBe(
            "The cache holds 40 cached prompts in 40.0 MiB, more than a budget of 10.0 MiB: saving removes the least recently used of them now (raising the budget again does not bring them back)."
        );
        expect(backend.adminFake.count("patchSettings")).toBe(0);
        // Cancel goes back to the form, the edit kept; an edit drops the question too.
        fireEvent.click(screen.getByRole("button", {name: "Cancel"}));
        expect(screen.queryByTestId("evict-question")).toBeNull();
        expect((budget as HTMLInputElement).value).toBe("10");
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        await act(async () => fireEvent.click(screen.getByTestId("evict-confirm")));
        expect(backend.adminFake.count("patchSettings")).toBe(1);
        expect(screen.getByTestId("settings-saved").textContent).toBe("Saved · in effect now · the smaller budget removed 30 cached prompts (30.0 MiB)");
        // A budget the cache fits in, or a larger one, is saved without asking.
        fireEvent.change(budget, {target: {value: "20"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(screen.queryByTestId("evict-question")).toBeNull();
        expect(screen.getByTestId("settings-saved").textContent).toBe("Saved · in effect now");
    });

    it("says so, and saves nothing, when the settings are edited while a save waits to know what it would remove", async () => {
        backend.adminFake.stats = {...backend.adminFake.stats, cache: {...backend.adminFake.stats.cache, entries: 40, bytes: 40 * 1_048_576}};
        let answer: () => void = () => undefined;
        const admin = backend.admin.bind(backend);
        backend.admin = (async (op: string, input: unknown) => {
            if (op === "cacheStats") await new Promise<void>((resolve) => (answer = resolve));
            return admin(op as never, input as never);
        }) as typeof backend.admin;
        render(<AdminPanel />);
        const budget = await screen.findByTestId("setting-budget");
        fireEvent.change(budget, {target: {value: "10"}});
        fireEvent.click(screen.getByTestId("settings-save"));
        fireEvent.change(budget, {target: {value: "12"}});
        await act(async () => answer());
        expect(screen.queryByTestId("evict-question")).toBeNull();
        expect(backend.adminFake.count("patchSettings")).toBe(0);
        expect(screen.getByText("The settings changed while they were being saved, and were not saved: check them and save again.")).toBeTruthy();
        expect((budget as HTMLInputElement).value).toBe("12");
    });

    it("says after a change of the sharing scopes that what was cached before is reused by no one now", async () => {
        render(<AdminPanel />);
        fireEvent.change(await screen.findByTestId("setting-scope"), {target: {value: "group"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(backend.adminFake.settings.sharing.scopePolicy).toBe("group");
        expect(screen.getByTestId("scope-change-note").textContent).toMatch(/^Prompts cached before stay in the scopes they were cached in/);
        // Under groups, moving a user to another group moves their scope too.
        fireEvent.change(screen.getByTestId("setting-groups"), {target: {value: "nurse-1 = ward-9"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(backend.adminFake.settings.sharing.groups).toMatchObject({"nurse-1": "ward-9"});
        expect(screen.getByTestId("scope-change-note")).toBeTruthy();
        fireEvent.change(screen.getByTestId("setting-topk"), {target: {value: "9"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(screen.getByTestId("settings-saved")).toBeTruthy();
        expect(screen.queryByTestId("scope-change-note")).toBeNull();
    });

    it("moves the focus to Clear cache's confirmation, and Esc cancels it", async () => {
        render(<AdminPanel />);
        fireEvent.click(await screen.findByTestId("clear-cache"));
        expect(document.activeElement).toBe(screen.getByTestId("clear-cache-confirm"));
        fireEvent.keyDown(screen.getByTestId("clear-cache-confirm"), {key: "Escape"});
        expect(screen.queryByTestId("clear-cache-confirm")).toBeNull();
        expect(document.activeElement).toBe(screen.getByTestId("clear-cache"));
        expect(backend.adminFake.count("clearCache")).toBe(0);
    });
});
