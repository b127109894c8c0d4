import {act, cleanup, fireEvent, render, screen, waitFor} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {useAdminSettings} from "../stores/useAdminSettings.js";
import {useApiKeys} from "../stores/useApiKeys.js";
import {useWhatIf} from "../stores/useWhatIf.js";
import {FakeBackend} from "../testing/fakes.js";
import {AdminPanel} from "./AdminPanel.js";

// The fake curves: 10 requests whose best candidates sit at 0.05, 0.15, …, 0.95 (see fakeWhatIf).
describe("settings panel: what-if curves", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useAdminSettings.setState({settings: null, error: null, saving: false, savedAt: null, lastCleared: null, movedTo: null});
        useApiKeys.setState({keys: [], created: null, error: null, busy: false});
        useWhatIf.setState({curves: null, scope: null, error: null});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("marks the saved threshold's hit rate and the typed one's before Save", async () => {
        render(<AdminPanel />);
        const saved = await screen.findByTestId("whatif-saved");
        expect(saved.dataset.threshold).toBe("0.3");
        expect(Number(saved.dataset.hitRate)).toBeCloseTo(0.7, 12);
        expect(screen.queryByTestId("whatif-typed")).toBeNull();

        fireEvent.change(screen.getByTestId("setting-threshold"), {target: {value: "0.6"}});
        const typed = screen.getByTestId("whatif-typed");
        expect(typed.dataset.threshold).toBe("0.6");
        expect(Number(typed.dataset.hitRate)).toBeCloseTo(0.4, 12);
        expect(typed.textContent).toContain("expected hit rate 40%");
        expect(screen.getByTestId("whatif-threshold-chart").dataset.typed).toBe("0.6");
        // Nothing is sent before Save.
        expect(backend.adminFake.count("patchSettings")).toBe(0);
    });

    it("edits a scope's own threshold over the global one and saves it as an override", async () => {
        render(<AdminPanel />);
        await screen.findByTestId("whatif-saved");
        await act(async () => fireEvent.change(screen.getByTestId("whatif-scope"), {target: {value: "global"}}));
        await waitFor(() => expect(useWhatIf.getState().curves?.scope).toBe("global"));
        const field = screen.getByTestId("scope-threshold") as HTMLInputElement;
        expect(field.placeholder).toBe("0.3 (global)");
        fireEvent.change(field, {target: {value: "0.9"}});
        expect(screen.getByTestId("whatif-typed").dataset.threshold).toBe("0.9");
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        const patch = backend.adminFake.calls.find((c) => c.op === "patchSettings")!.input as {sharing: {scopeOverrides: unknown}};
        expect(patch.sharing.scopeOverrides).toEqual({global: {similarityThreshold: 0.9}});
    });
});
