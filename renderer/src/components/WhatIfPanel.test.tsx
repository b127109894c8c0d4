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
        useWhatIf.setState({curves: null, scope: null, policy: null, error: null});
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

    it("shows one recompute policy's budget curve, the policy in use first, and another on request", async () => {
        render(<AdminPanel />);
        const choice = (await screen.findByTestId("whatif-policy")) as HTMLSelectElement;
        expect(choice.value).toBe("dhd-decode");
        expect(choice.options[0]!.textContent).toBe("dhd-decode · in use · 10 donor requests");
        expect(screen.getByTestId("whatif-budget-basis").textContent).toContain("10 donor requests served with dhd-decode");
        // The fake server served no request with boundary (the panel offers policies that served some; an API
        // client may ask for any): its curve is empty, and the panel says why.
        const before = backend.adminFake.count("whatIf");
        await act(async () => void useWhatIf.getState().load(undefined, "boundary"));
        expect(backend.adminFake.count("whatIf")).toBeGreaterThan(before);
        expect(backend.adminFake.calls.at(-1)!.input).toEqual({recomputePolicy: "boundary"});
        expect((screen.getByTestId("whatif-policy") as HTMLSelectElement).value).toBe("boundary");
        expect(screen.getByTestId("whatif-budget-empty").textContent).toContain("No donor request was served with boundary yet");
        // Back to the policy in use: the request names none, the scope's own applies.
        await act(async () => fireEvent.change(screen.getByTestId("whatif-policy"), {target: {value: "dhd-decode"}}));
        await waitFor(() => expect(useWhatIf.getState().curves?.budget.policy).toBe("dhd-decode"));
        expect(backend.adminFake.calls.at(-1)!.input).toEqual({});
        // A new scope starts from its own policy.
        await act(async () => void useWhatIf.getState().load(undefined, "boundary"));
        await act(async () => fireEvent.change(screen.getByTestId("whatif-scope"), {target: {value: "global"}}));
        await waitFor(() => expect(useWhatIf.getState().curves?.scope).toBe("global"));
        expect(useWhatIf.getState().policy).toBeNull();
        expect(backend.adminFake.calls.at(-1)!.input).toEqual({scope: "global"});
    });
});
