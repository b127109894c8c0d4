import {act, cleanup, fireEvent, render, screen, waitFor, within} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import type {WhatIfCurves} from "../../../shared/admin.js";
import {setBackend} from "../backend/current.js";
import {adminSettingsInitialState, useAdminSettings} from "../stores/useAdminSettings.js";
import {useApiKeys} from "../stores/useApiKeys.js";
import {useWhatIf} from "../stores/useWhatIf.js";
import {fakeWhatIf} from "../testing/fakeAdmin.js";
import {FakeBackend} from "../testing/fakes.js";
import {AdminPanel} from "./AdminPanel.js";

// The fake curves: 10 requests whose best candidates sit at 0.05, 0.15, …, 0.95 (see fakeWhatIf).
describe("settings panel: what-if curves", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useAdminSettings.setState(adminSettingsInitialState);
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
        // What was actually served beside what the threshold alone allows: the cost gate turned some down.
        expect(screen.getByTestId("whatif-served").textContent).toMatch(/Served from a donor: 30% of the same 10 requests\. .*cost gate \(on\)/);

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

    it("drops a scope's error once its field is edited, as the global fields do", async () => {
        render(<AdminPanel />);
        await screen.findByTestId("whatif-saved");
        await act(async () => fireEvent.change(screen.getByTestId("whatif-scope"), {target: {value: "global"}}));
        await waitFor(() => expect(useWhatIf.getState().curves?.scope).toBe("global"));
        fireEvent.change(screen.getByTestId("scope-threshold"), {target: {value: "2"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(screen.getByTestId("settings-error").textContent).toMatch(/threshold of global must be between 0 and 1/);
        fireEvent.change(screen.getByTestId("scope-threshold"), {target: {value: "0.5"}});
        expect(screen.queryByTestId("settings-error")).toBeNull();
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(backend.adminFake.settings.sharing.scopeOverrides).toEqual({global: {similarityThreshold: 0.5}});
    });

    it("offers the groups the settings name, saved or typed, before any of their requests is logged", async () => {
        backend.adminFake.settings.sharing = {...backend.adminFake.settings.sharing, scopePolicy: "group", groups: {DrPatel: "ward-7"}};
        backend.adminFake.keys = [{id: "5cba5e37dedb", name: "reception-app", group: "front-desk", hint: "kvs-aaaa", createdAt: "2025-01-01T00:00:00.000Z"}];
        await act(async () => useApiKeys.getState().load());
        render(<AdminPanel />);
        await screen.findByTestId("whatif-saved");
        const options = () => [...(screen.getByTestId("whatif-scope") as HTMLSelectElement).options].map((o) => o.value);
        // The history holds global's requests alone: the saved group and the key's group are offered beside it.
        expect(options()).toEqual(["", "global", "group:front-desk", "group:ward-7"]);
        // A ward typed in the group lines, not saved yet, can be tuned in the same save.
        fireEvent.change(screen.getByTestId("setting-groups"), {target: {value: "DrPatel = ward-7\nNurse = ward-3"}});
        expect(options()).toEqual(["", "global", "group:front-desk", "group:ward-3", "group:ward-7"]);
        await act(async () => fireEvent.change(screen.getByTestId("whatif-scope"), {target: {value: "group:ward-3"}}));
        await waitFor(() => expect(useWhatIf.getState().curves?.scope).toBe("group:ward-3"));
        fireEvent.change(screen.getByTestId("scope-budget"), {target: {value: "0.4"}});
        await act(async () => fireEvent.click(screen.getByTestId("settings-save")));
        expect(backend.adminFake.settings.sharing.scopeOverrides).toEqual({"group:ward-3": {recomputeBudget: 0.4}});
        expect(backend.adminFake.settings.sharing.groups).toEqual({DrPatel: "ward-7", Nurse: "ward-3"});
        // Under another policy no request runs in a group's scope: only the one with its own values stays.
        fireEvent.change(screen.getByTestId("setting-scope"), {target: {value: "user"}});
        expect(options()).toEqual(["", "global", "group:ward-3"]);
    });

    it("names an issued key's scope by the key, its id beside", async () => {
        backend.adminFake.keys = [{id: "5cba5e37dedb", name: "reception-app", hint: "kvs-aaaa", createdAt: "2025-01-01T00:00:00.000Z"}];
        const admin = backend.admin.bind(backend) as (op: string, input: unknown) => Promise<unknown>;
        const withKeyScope = async (op: string, input: unknown) => {
            const answer = await admin(op, input);
            return op === "whatIf" ? {...(answer as WhatIfCurves), scopes: ["global", "user:key/5cba5e37dedb", "user:key/gone00000000"]} : answer;
        };
        backend.admin = withKeyScope as typeof backend.admin;
        render(<AdminPanel />);
        await screen.findByTestId("whatif-saved");
        const choice = screen.getByTestId("whatif-scope") as HTMLSelectElement;
        await waitFor(() => expect([...choice.options].map((o) => o.textContent)).toContain("reception-app (API key) · user:key/5cba5e37dedb"));
        // A revoked key is no longer listed: its scope is named as one, its id beside.
        expect([...choice.options].map((o) => o.textContent)).toContain("a revoked key (gone…) · user:key/gone00000000");
        await act(async () => fireEvent.change(choice, {target: {value: "user:key/5cba5e37dedb"}}));
        await waitFor(() => expect(screen.getByTestId("whatif-basis").textContent).toContain("of reception-app (API key) user:key/5cba5e37dedb"));
        expect(screen.getByTestId("scope-threshold").closest("label")!.textContent).toContain("Threshold for reception-app (API key)");
    });

    it("says the tokens are kept before recompute, which requests the curves cover, and names each chart with its numbers", async () => {
        render(<AdminPanel />);
        const saved = await screen.findByTestId("whatif-saved");
        // The dashboard's "tokens saved" are after recompute: the curve's tokens are not called reused.
        expect(saved.textContent).toMatch(/35% of prompt tokens kept before recompute$/);
        expect(saved.textContent).not.toMatch(/reused/);
        expect(screen.getByTestId("whatif-kept-note").textContent).toMatch(/dashboard's tokens saved count what is left after recompute/);
        expect(screen.getByTestId("whatif-basis").textContent).toMatch(
            /^From the latest 10 requests that searched for a donor .*whose search the cost gate skipped .* are not in the curves/
        );
        const name = (testId: string) => within(screen.getByTestId(testId)).getByRole("img").getAttribute("aria-label");
        expect(name("whatif-threshold-chart")).toBe(
            "Hit rate against the similarity threshold, from 100% at 0 to 0% at 1, over 10 requests. At the saved 0.3: hit rate 70%, 35% of prompt tokens kept before recompute."
        );
        fireEvent.change(screen.getByTestId("setting-recompute"), {target: {value: "1"}});
        expect(name("whatif-budget-chart")).toBe(
            "Donor tokens left reused against the recompute budget, for 10 requests served with “DHD + decode-stage fixes”: 85% at the saved budget 0.15; 0% at the typed budget 1; 0% at budget 1. Measured agreement with full compute: 96% at 0.15."
        );
    });

    /** Holds each admin answer until the test lets it through (in call order); gives back the unheld call. */
    function holdAnswers(): {answers: Array<() => void>; admin: (op: string, input: unknown) => Promise<unknown>} {
        const answers: Array<() => void> = [];
        const admin = backend.admin.bind(backend) as (op: string, input: unknown) => Promise<unknown>;
        const held = (op: string, input: unknown): Promise<unknown> => {
            const answer = admin(op, input);
            return new Promise((resolve, reject) => answers.push(() => void answer.then(resolve, reject)));
        };
        backend.admin = held as typeof backend.admin;
        return {answers, admin};
    }

    it("shows one recompute policy's budget curve, the policy in use first, another on choice", async () => {
        render(<AdminPanel />);
        const choice = (await screen.findByTestId("whatif-policy")) as HTMLSelectElement;
        expect(choice.value).toBe("dhd-decode");
        // The options name the policy alone, short enough for a phone-wide select; which is in use and what each served is said below.
        expect([...choice.options].map((o) => o.textContent)).toEqual(["DHD + decode-stage fixes", "Edit boundaries"]);
        expect(screen.getByTestId("whatif-policy-hint").textContent).toBe(
            "In use: DHD + decode-stage fixes. Donor requests served: 10 with DHD + decode-stage fixes, 4 with Edit boundaries."
        );
        const basis = () => screen.getByTestId("whatif-budget-basis").textContent;
        expect(basis()).toContain("10 donor requests served with “DHD + decode-stage fixes”");
        // Choosing another policy shows the choice at once and asks the server for its curve.
        const {answers, admin} = holdAnswers();
        act(() => void fireEvent.change(choice, {target: {value: "boundary"}}));
        expect(backend.adminFake.calls.at(-1)).toEqual({op: "whatIf", input: {recomputePolicy: "boundary"}});
        expect((screen.getByTestId("whatif-policy") as HTMLSelectElement).value).toBe("boundary");
        expect(basis()).toContain("served with “DHD + decode-stage fixes”");
        await act(async () => answers.shift()!());
        await waitFor(() => expect(basis()).toContain("4 donor requests served with “Edit boundaries”"));
        backend.admin = admin as typeof backend.admin;
        // Back to the policy in use: the request names none, the one in effect applies.
        await act(async () => fireEvent.change(screen.getByTestId("whatif-policy"), {target: {value: "dhd-decode"}}));
        expect(backend.adminFake.calls.at(-1)).toEqual({op: "whatIf", input: {}});
        await waitFor(() => expect(useWhatIf.getState().curves?.budget.policy).toBe("dhd-decode"));
        // A policy that served nothing (an API client may ask for any): the panel says so.
        await act(async () => void useWhatIf.getState().load(undefined, "epic"));
        expect(screen.getByTestId("whatif-budget-empty").textContent).toContain("No donor request was served with “First tokens of each run (EPIC)” yet");
        // A new scope starts from the policy in effect.
        await act(async () => fireEvent.change(screen.getByTestId("whatif-scope"), {target: {value: "global"}}));
        await waitFor(() => expect(useWhatIf.getState().curves?.scope).toBe("global"));
        expect(useWhatIf.getState().policy).toBeNull();
        expect(backend.adminFake.calls.at(-1)).toEqual({op: "whatIf", input: {scope: "global"}});
    });

    it("goes back to the curve shown when a choice fails, so choosing it again retries", async () => {
        render(<AdminPanel />);
        const choice = (await screen.findByTestId("whatif-policy")) as HTMLSelectElement;
        backend.adminFake.failing.set("whatIf", new Error("the server went away"));
        await act(async () => fireEvent.change(choice, {target: {value: "boundary"}}));
        await waitFor(() => expect(useWhatIf.getState().error).toContain("the server went away"));
        expect((screen.getByTestId("whatif-policy") as HTMLSelectElement).value).toBe("dhd-decode");
        expect(useWhatIf.getState().policy).toBeNull();
        backend.adminFake.failing.delete("whatIf");
        await act(async () => fireEvent.change(screen.getByTestId("whatif-policy"), {target: {value: "boundary"}}));
        await waitFor(() => expect(useWhatIf.getState().curves?.budget.policy).toBe("boundary"));
        expect(useWhatIf.getState().error).toBeNull();
    });

    it("says why the budget curve is empty when the latest donor requests were logged without their policy", async () => {
        const curves = fakeWhatIf();
        const budget = {...curves.budget, policies: [], donorRequests: 0, unattributed: 3};
        const admin = backend.admin.bind(backend) as (op: string, input: unknown) => Promise<unknown>;
        const oldLog = async (op: string, input: unknown) => (op === "whatIf" ? {...curves, budget} : admin(op, input));
        backend.admin = oldLog as typeof backend.admin;
        render(<AdminPanel />);
        expect((await screen.findByTestId("whatif-budget-empty")).textContent).toBe(
            "The 3 latest donor requests were logged by an earlier version of the app, whose budgets meant other tokens: the budget curve starts with the next ones."
        );
    });

    it("shows the latest load's curves when an earlier answer (or error) arrives last", async () => {
        const {answers, admin} = holdAnswers();
        const first = useWhatIf.getState().load(null, null);
        // The policy in effect changes (a save), and the panel loads the same view again.
        await admin("patchSettings", {sharing: {recomputePolicy: "boundary"}});
        const second = useWhatIf.getState().load(null, null);
        expect(answers).toHaveLength(2);
        answers[1]!();
        await second;
        answers[0]!();
        await first;
        expect(useWhatIf.getState().curves?.current.recomputePolicy).toBe("boundary");
        expect(useWhatIf.getState().curves?.budget).toMatchObject({policy: "boundary", donorRequests: 4});
        // …and a late failure of a load since replaced is no error of the panel's.
        backend.adminFake.failing.set("whatIf", new Error("late"));
        const failed = useWhatIf.getState().load(null, "dhd-decode");
        backend.adminFake.failing.delete("whatIf");
        const third = useWhatIf.getState().load(null, null);
        answers[3]!();
        await third;
        answers[2]!();
        await failed;
        expect(useWhatIf.getState().error).toBeNull();
    });
});
