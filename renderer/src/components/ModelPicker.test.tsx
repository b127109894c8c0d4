import {act, cleanup, fireEvent, render, screen, waitFor} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {useConnection} from "../stores/useConnection.js";
import {useModels} from "../stores/useModels.js";
import {FakeBackend} from "../testing/fakes.js";
import {ModelPicker} from "./ModelPicker.js";

describe("ModelPicker", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useConnection.setState({status: "ok"});
        useModels.setState({models: [], modelsDir: null, status: null, selected: null, error: null, watching: false, pollMs: 5});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("lists the models, loads the chosen one with a progress bar, and shows a failure", async () => {
        render(<ModelPicker />);
        const select = (await screen.findByTestId("model-select")) as HTMLSelectElement;
        expect([...select.options].map((o) => o.textContent)).toEqual([
            "stories260K · 1.1 MiB · llama · 512 ctx (current)",
            "TinyStories-656K-Q8_0 · 977 KiB · llama · 512 ctx"
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
});
