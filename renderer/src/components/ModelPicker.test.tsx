import {act, cleanup, fireEvent, render, screen, waitFor} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it, onTestFinished, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {APP_USER} from "../backend/whoami.js";
import {useSignedIn} from "../stores/useSignedIn.js";
import {useConnection} from "../stores/useConnection.js";
import {useModels, noModelsYet} from "../stores/useModels.js";
import {FakeBackend} from "../testing/fakes.js";
import {ModelPicker} from "./ModelPicker.js";

describe("ModelPicker", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        // The app's own key, as the server said (the chats saved to the server, the models listed).
        useSignedIn.setState({signedIn: APP_USER});
        useConnection.setState({status: "ok", models: []});
        useModels.setState({...noModelsYet, pollMs: 5});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
        vi.useRealTimers();
    });

    /** The served model as /v1/models names it, run with `contextSize` tokens per sequence. */
    const served = (contextSize: number) =>
        useConnection.setState({
            models: [
                {
                    id: "stories260K",
                    object: "model",
                    created: 1,
                    owned_by: "kvshare",
                    meta: {context_size: contextSize, parallel: 4, architecture: "llama", kv_editing: true}
                }
            ]
        });
    const listCalls = () => backend.adminFake.calls.filter((c) => c.op === "listModels").length;

    it("lists the models, loads the chosen one with a progress bar, and shows a failure", async () => {
        render(<ModelPicker />);
        const select = (await screen.findByTestId("model-select")) as HTMLSelectElement;
        expect([...select.options].map((o) => o.textContent)).toEqual([
            "stories260K · 1.1 MiB · llama · trained 512 ctx (current)",
            "TinyStories-656K-Q8_0 · 977 KiB · llama · trained 512 ctx"
        ]);
        const load = screen.getByTestId("model-load") as HTMLButtonElement;
        expect(load.disabled).toBe(true);
        fireEvent.change(select, {target: {value: "/data/models/TinyStories-656K-Q8_0.gguf"}});
        expect(load.disabled).toBe(false);

        await act(async () => fireEvent.click(load));
        expect((screen.getByTestId("model-progress") as HTMLProgressElement).value).toBe(0);
        expect(load.disabled).toBe(true);
        act(() => void (backend.adminFake.modelStatus = {...backend.adminFake.modelStatus, status: "error", error: "failed to load model"}));
        await waitFor(() => expect(screen.getByTestId("model-error").textContent).toBe("failed to load model"));
        expect(screen.queryByTestId("model-progress")).toBeNull();
    });

    it("shows a failed load in full on a line of its own with what to do; dismissed, it stays so until a load fails again", async () => {
        render(<ModelPicker />);
        const select = (await screen.findByTestId("model-select")) as HTMLSelectElement;
        fireEvent.change(select, {target: {value: "/data/models/TinyStories-656K-Q8_0.gguf"}});
        await act(async () => fireEvent.click(screen.getByTestId("model-load")));
        const failure = "Could not switch models: TinyStories-656K-Q8_0 is too large for the available RAM. Still serving stories260K.";
        act(() => void (backend.adminFake.modelStatus = {...backend.adminFake.modelStatus, status: "ok", progress: 1, error: failure}));
        const problem = await screen.findByRole("alert");
        await waitFor(() => expect(screen.getByTestId("model-error").textContent).toBe(failure));
        expect(problem.textContent).toContain(
            "The model in use goes on answering. To try again, choose a model and press Load: a smaller one, or fewer sequences or a shorter context (Admin settings), where memory is short."
        );
        expect(select.getAttribute("aria-invalid")).toBe("true");

        fireEvent.click(screen.getByRole("button", {name: "Dismiss the model error"}));
        expect(screen.queryByTestId("model-load-problem")).toBeNull();
        // Another try is a new failure: it shows.
        fireEvent.change(select, {target: {value: "/data/models/stories260K.gguf"}});
        await act(async () => fireEvent.click(screen.getByTestId("model-load")));
        act(() => void (backend.adminFake.modelStatus = {...backend.adminFake.modelStatus, status: "error", progress: 0, error: "out of memory"}));
        await waitFor(() => expect(screen.getByTestId("model-error").textContent).toBe("out of memory"));
        expect(screen.getByTestId("model-error-advice").textContent).toMatch(/^No model is answering now\. Choose a model and press Load/);
    });

    it("lists the loaded model once when the models folder holds it too, and names it only in the picker", async () => {
        const loaded = "/home/me/models/stories260K.gguf";
        backend.adminFake.models = [{...backend.adminFake.models[0]!, path: loaded, source: "loaded"}, ...backend.adminFake.models];
        backend.adminFake.modelStatus = {...backend.adminFake.modelStatus, modelPath: loaded};
        render(<ModelPicker />);
        const select = (await screen.findByTestId("model-select")) as HTMLSelectElement;
        expect([...select.options].map((o) => o.value)).toEqual([loaded, "/data/models/TinyStories-656K-Q8_0.gguf"]);
        expect(screen.queryByTestId("model-name")).toBeNull();
    });

    it("names the served model where there is no list to pick from", async () => {
        backend.adminFake.models = [];
        useConnection.setState({models: [{id: "stories260K", object: "model", created: 1, owned_by: "kvshare"}]});
        render(<ModelPicker />);
        await waitFor(() => expect(screen.getByTestId("model-name").textContent).toBe("stories260K"));
        expect(screen.queryByTestId("model-select")).toBeNull();
    });

    it("lists a file that cannot be served last, as a disabled option with the reason, which Load does not take", async () => {
        backend.adminFake.models.unshift({
            ...backend.adminFake.models[1]!,
            path: "/data/models/ggml-vocab-llama-spm.gguf",
            id: "ggml-vocab-llama-spm",
            sizeBytes: 723_869,
            architecture: "llama",
            contextLength: 4096,
            problem: "it holds no weights (a vocabulary-only file)"
        });
        render(<ModelPicker />);
        const select = (await screen.findByTestId("model-select")) as HTMLSelectElement;
        await waitFor(() => expect(select.options).toHaveLength(3));
        const last = select.options[2]!;
        expect(last.textContent).toBe("ggml-vocab-llama-spm · 707 KiB · cannot be served: it holds no weights (a vocabulary-only file)");
        expect(last.disabled).toBe(true);
        expect([...select.options].slice(0, 2).map((o) => o.disabled)).toEqual([false, false]);
        // Chosen anyway (a stale list, a script): Load stays off.
        fireEvent.change(select, {target: {value: last.value}});
        expect((screen.getByTestId("model-load") as HTMLButtonElement).disabled).toBe(true);
    });

    it("says where models go, copies the folder, and lists a file copied in on Refresh", async () => {
        const writeText = vi.spyOn(navigator.clipboard, "writeText");
        render(<ModelPicker />);
        await screen.findByTestId("model-select");
        const toggle = screen.getByRole("button", {name: "Models folder and details"});
        expect(toggle.getAttribute("aria-expanded")).toBe("false");
        fireEvent.click(toggle);
        expect(toggle.getAttribute("aria-expanded")).toBe("true");
        const panel = screen.getByTestId("models-info");
        expect(toggle.getAttribute("aria-controls")).toBe(panel.id);
        expect(screen.getByTestId("models-dir").textContent).toBe("/data/models");
        expect(panel.textContent).toContain("Copy .gguf files here");
        await act(async () => fireEvent.click(screen.getByRole("button", {name: "Copy"})));
        expect(writeText).toHaveBeenCalledWith("/data/models");
        expect(screen.getByTestId("models-dir-copy").textContent).toBe("Copied");
        expect(screen.getByTestId("models-count").textContent).toBe("2 models");

        backend.adminFake.models.push({
            ...backend.adminFake.models[1]!,
            path: "/data/models/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf",
            id: "Qwen2.5-0.5B-Instruct-Q4_K_M"
        });
        await act(async () => fireEvent.click(screen.getByRole("button", {name: "Refresh"})));
        const select = screen.getByTestId("model-select") as HTMLSelectElement;
        await waitFor(() => expect([...select.options].map((o) => o.value)).toContain("/data/models/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"));
        expect(screen.getByTestId("models-count").textContent).toBe("3 models");
    });

    it("closes the popover on Esc (the focus back on its button, the chat settings' Esc untouched) and on a click elsewhere", async () => {
        const outside = vi.fn();
        const settingsEsc = (event: KeyboardEvent) => void (!event.defaultPrevented && outside());
        document.addEventListener("keydown", settingsEsc);
        onTestFinished(() => document.removeEventListener("keydown", settingsEsc));
        render(<ModelPicker />);
        await screen.findByTestId("model-select");
        const toggle = screen.getByTestId("models-info-toggle");
        fireEvent.click(toggle);
        screen.getByRole("button", {name: "Refresh"}).focus();
        fireEvent.keyDown(screen.getByRole("button", {name: "Refresh"}), {key: "Escape"});
        expect(screen.queryByTestId("models-info")).toBeNull();
        expect(document.activeElement).toBe(toggle);
        expect(outside).not.toHaveBeenCalled();
        fireEvent.click(toggle);
        fireEvent.pointerDown(screen.getByTestId("models-dir"));
        expect(screen.getByTestId("models-info")).toBeTruthy();
        fireEvent.pointerDown(document.body);
        expect(screen.queryByTestId("models-info")).toBeNull();
    });

    it("reads the folder again when the picker or the window gets the focus, throttled", async () => {
        vi.useFakeTimers({toFake: ["Date"]});
        render(<ModelPicker />);
        const select = (await screen.findByTestId("model-select")) as HTMLSelectElement;
        await waitFor(() => expect(useModels.getState().refreshing).toBe(false));
        expect(listCalls()).toBe(1);
        backend.adminFake.models.push({...backend.adminFake.models[1]!, path: "/data/models/copied.gguf", id: "copied"});
        // Right after the first read: the focus does not read again.
        fireEvent.focus(select);
        expect(listCalls()).toBe(1);
        vi.setSystemTime(Date.now() + 60_000);
        await act(async () => void fireEvent.focus(select));
        await waitFor(() => expect([...select.options].map((o) => o.value)).toContain("/data/models/copied.gguf"));
        expect(listCalls()).toBe(2);
        // The window's focus (back from the file manager) reads it too.
        backend.adminFake.models.push({...backend.adminFake.models[1]!, path: "/data/models/copied-too.gguf", id: "copied-too"});
        vi.setSystemTime(Date.now() + 60_000);
        await act(async () => void window.dispatchEvent(new Event("focus")));
        await waitFor(() => expect([...select.options].map((o) => o.value)).toContain("/data/models/copied-too.gguf"));
        expect(listCalls()).toBe(3);
    });

    it("shows the served model's trained context beside the one it runs with, and a hint where it runs longer", async () => {
        served(512);
        const {unmount} = render(<ModelPicker />);
        const select = (await screen.findByTestId("model-select")) as HTMLSelectElement;
        await waitFor(() => expect(select.options[0]!.textContent).toBe("stories260K · 1.1 MiB · llama · trained 512 ctx · runs 512 (current)"));
        fireEvent.click(screen.getByRole("button", {name: "Models folder and details"}));
        expect(screen.getByTestId("model-context").textContent).toBe("stories260K runs with 512 tokens of context per sequence; it was trained with 512.");
        expect(screen.queryByTestId("model-context-hint")).toBeNull();
        unmount();

        served(2048);
        render(<ModelPicker />);
        const longer = (await screen.findByTestId("model-select")) as HTMLSelectElement;
        await waitFor(() => expect(longer.options[0]!.textContent).toBe("stories260K · 1.1 MiB · llama · trained 512 ctx · runs 2048 (current)"));
        // Said on the button too, where the popover is closed.
        const toggle = screen.getByRole("button", {name: "Models folder and details (the context is longer than the model was trained for)"});
        fireEvent.click(toggle);
        expect(screen.getByTestId("model-context-hint").textContent).toBe(
            "That is longer than it was trained for: past 512 tokens its answers may degrade. Set Context per sequence to 512 or less in Admin settings."
        );
        // A hint, not an error.
        expect(screen.queryByRole("alert")).toBeNull();
    });
});
