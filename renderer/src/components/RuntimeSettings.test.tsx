import {act, cleanup, fireEvent, render, screen, waitFor} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {APP_USER} from "../backend/whoami.js";
import {useSignedIn} from "../stores/useSignedIn.js";
import {adminSettingsInitialState, useAdminSettings} from "../stores/useAdminSettings.js";
import {useApiKeys} from "../stores/useApiKeys.js";
import {useModels} from "../stores/useModels.js";
import {FakeBackend} from "../testing/fakes.js";
import {AdminPanel} from "./AdminPanel.js";
import {ModelPicker} from "./ModelPicker.js";

describe("AdminPanel: model runtime settings", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        // The app's own key, as the server said (the chats saved to the server, the models listed).
        useSignedIn.setState({signedIn: APP_USER});
        useAdminSettings.setState(adminSettingsInitialState);
        useApiKeys.setState({keys: [], created: null, error: null, busy: false});
        useModels.setState({models: [], modelsDir: null, status: null, selected: null, error: null, watching: false, pollMs: 5});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    const input = (testId: string) => screen.getByTestId(testId) as HTMLInputElement;
    const hintOf = (testId: string) => screen.getByTestId(testId).closest("label")!.querySelector(".field-hint")!.textContent;
    const status = () => screen.getByTestId("runtime-status").textContent;
    const save = async () => act(async () => fireEvent.click(screen.getByTestId("settings-save")));

    it("offers the GPU backends this machine has, and says what a choice comes to on it", async () => {
        render(<AdminPanel />);
        const select = (await screen.findByTestId("setting-gpu")) as HTMLSelectElement;
        const option = (value: string) => select.querySelector(`option[value="${value}"]`) as HTMLOptionElement;
        // The fake machine: a Vulkan driver without a patched Vulkan build, no CUDA, no Metal.
        expect([option("cuda").textContent, option("cuda").disabled]).toEqual(["CUDA (not found on this machine)", true]);
        expect([option("metal").textContent, option("metal").disabled]).toEqual(["Metal (not found on this machine)", true]);
        expect([option("vulkan").textContent, option("vulkan").disabled]).toEqual(["Vulkan (no KVShare build)", false]);
        expect(hintOf("setting-gpu")).toBe("Auto uses the GPU found · Vulkan found without a KVShare build: the setting below decides");
        fireEvent.change(select, {target: {value: "vulkan"}});
        expect(hintOf("setting-gpu")).toBe(
            "Auto uses the GPU found · no KVShare build of Vulkan here (`npm run build:native -- --gpu vulkan`): the setting below decides"
        );
        fireEvent.change(select, {target: {value: "cpu"}});
        expect(hintOf("setting-gpu")).toBe("Auto uses the GPU found");
    });

    it("shows the values the model runs with and the machine's cores, saves a change for the next load, and reloads the model to apply it", async () => {
        render(<AdminPanel />);
        expect((await screen.findByTestId("setting-threads")) as HTMLInputElement).toHaveProperty("value", "8");
        expect(input("setting-parallel").value).toBe("4");
        expect(input("setting-context").value).toBe("2048");
        expect((screen.getByTestId("setting-gpu") as HTMLSelectElement).value).toBe("auto");
        expect(hintOf("setting-threads")).toBe("This machine has 8 logical cores; more threads than cores slows generation under load");
        expect(status()).toBe("The model in use runs with these values: 4 sequences × 2048 tokens, 8 threads, on the CPU.");
        expect(screen.queryByTestId("runtime-reload")).toBeNull();

        fireEvent.change(input("setting-threads"), {target: {value: "16"}});
        expect(hintOf("setting-threads")).toMatch(/more threads than cores slows generation under load \(16 is more\)$/);
        fireEvent.change(input("setting-threads"), {target: {value: "6"}});
        fireEvent.change(input("setting-parallel"), {target: {value: "2"}});
        fireEvent.change(input("setting-context"), {target: {value: "Auto"}});
        fireEvent.change(screen.getByTestId("setting-gpu"), {target: {value: "cpu"}});
        // The reload applies what is saved: not offered over unsaved edits.
        await save();
        expect(backend.adminFake.calls.find((c) => c.op === "patchSettings")?.input).toEqual({
            runtime: {threads: 6, parallel: 2, contextSize: "auto", gpu: false}
        });
        await waitFor(() =>
            expect(screen.getByTestId("settings-saved").textContent).toBe(
                "Saved · CPU threads, sequences at once, context per sequence and the GPU take effect when the model is next loaded"
            )
        );
        expect(status()).toMatch(/^Saved · CPU threads, sequences at once, context per sequence and the GPU take effect when the model is next loaded\./);
        expect(hintOf("setting-parallel")).toMatch(/the model in use has 4$/);
        expect(hintOf("setting-gpu")).toMatch(/the model in use has auto$/);

        const reload = screen.getByTestId("runtime-reload") as HTMLButtonElement;
        expect(reload.disabled).toBe(false);
        fireEvent.change(input("setting-threads"), {target: {value: "5"}});
        expect(reload.disabled).toBe(true);
        expect(status()).toMatch(/Save or reset the other changes first/);
        fireEvent.click(screen.getByRole("button", {name: "Reset"}));
        expect(reload.disabled).toBe(false);

        await act(async () => fireEvent.click(reload));
        expect(backend.adminFake.calls.filter((c) => c.op === "loadModel").map((c) => c.input)).toEqual([{path: "/data/models/stories260K.gguf"}]);
        expect((screen.getByTestId("runtime-progress") as HTMLProgressElement).value).toBe(0);
        act(() => void (backend.adminFake.modelStatus = {...backend.adminFake.modelStatus, progress: 0.5}));
        await waitFor(() => expect((screen.getByTestId("runtime-progress") as HTMLProgressElement).value).toBe(0.5));

        // The load ends: the settings are read again, and the model runs with the saved values.
        act(() => backend.adminFake.finishLoad());
        await waitFor(() => expect(status()).toBe("The model in use runs with these values: 2 sequences × 2048 tokens, 6 threads, on the CPU."));
        expect(screen.getByTestId("settings-saved").textContent).toBe("Saved · in effect now");
        expect(hintOf("setting-parallel")).toBe("Requests answered at the same time, each in a sequence of its own");
    });

    it("shows a failed reload, the model in use going on serving with the earlier settings, here and in the model picker", async () => {
        render(
            <>
                <ModelPicker />
                <AdminPanel />
            </>
        );
        fireEvent.change(await screen.findByTestId("setting-parallel"), {target: {value: "3"}});
        await save();
        await act(async () => fireEvent.click(await screen.findByTestId("runtime-reload")));
        // As the server reports it: the old model serves on ("ok"), and says why the new load failed.
        const failure = "Could not switch models: stories260K is too large for the available RAM. Still serving stories260K.";
        act(() => void (backend.adminFake.modelStatus = {...backend.adminFake.modelStatus, status: "ok", progress: 1, error: failure}));
        await waitFor(() =>
            expect(screen.getByTestId("runtime-reload-error").textContent).toBe(
                `The reload failed: ${failure} The model keeps serving with the earlier settings: change the values back (each field's hint says what it runs with), or to ones this machine can hold, save, and reload again.`
            )
        );
        expect(screen.getByTestId("model-error").textContent).toBe(failure);
        expect(status()).toMatch(/sequences at once takes effect when the model is next loaded/);
    });

    it("shows a failed reload that left no model serving", async () => {
        render(<AdminPanel />);
        fireEvent.change(await screen.findByTestId("setting-parallel"), {target: {value: "3"}});
        await save();
        await act(async () => fireEvent.click(await screen.findByTestId("runtime-reload")));
        act(() => void (backend.adminFake.modelStatus = {...backend.adminFake.modelStatus, status: "error", error: "not enough memory for 3 sequences"}));
        await waitFor(() =>
            expect(screen.getByTestId("runtime-reload-error").textContent).toMatch(
                /^The reload failed: not enough memory for 3 sequences No model is serving now/
            )
        );
    });

    it("names the field of a value the server refuses, and of text that is no number", async () => {
        render(<AdminPanel />);
        fireEvent.change(await screen.findByTestId("setting-threads"), {target: {value: "0"}});
        await save();
        expect(screen.getByTestId("settings-error").textContent).toBe("CPU threads must be between 1 and 4096 (llama.cpp CPU threads); got 0.");
        fireEvent.change(input("setting-threads"), {target: {value: "8"}});
        fireEvent.change(input("setting-context"), {target: {value: "big"}});
        await save();
        expect(screen.getByTestId("settings-error").textContent).toBe('Context per sequence must be a number of tokens, or "auto".');
        expect(backend.adminFake.settings.runtime).toMatchObject({threads: 8, contextSize: 2048});
    });

    it("says which values a start-up flag set for this run, and what settings.json holds", async () => {
        backend.adminFake.startedWith({threads: 2, gpu: false});
        render(<AdminPanel />);
        await screen.findByTestId("setting-threads");
        expect(hintOf("setting-threads")).toMatch(/ · set by a start-up flag for this run \(settings\.json: 8\); saving a value here replaces it$/);
        expect(hintOf("setting-gpu")).toMatch(/set by a start-up flag for this run \(settings\.json: auto\)/);
        expect((screen.getByTestId("setting-gpu") as HTMLSelectElement).value).toBe("cpu");
        expect(hintOf("setting-parallel")).not.toMatch(/flag/);

        fireEvent.change(input("setting-threads"), {target: {value: "4"}});
        await save();
        await waitFor(() => expect(hintOf("setting-threads")).toMatch(/the model in use has 2$/));
        expect(backend.adminFake.settings.runtime?.flagOverrides).toEqual(["gpu"]);
    });
});
