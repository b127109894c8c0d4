import {act, cleanup, fireEvent, render, screen, waitFor, within} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import type {CachedPrompt} from "../../../shared/admin.js";
import {setBackend} from "../backend/current.js";
import {useApiKeys} from "../stores/useApiKeys.js";
import {useCachedPrompts} from "../stores/useCachedPrompts.js";
import {useCacheStats} from "../stores/useCacheStats.js";
import {FakeBackend} from "../testing/fakes.js";
import {cachedPrompt, resetCachedPrompts} from "../testing/cachedPrompts.js";
import {promptWords, timeAgo} from "./CachedPromptRow.js";
import {CachedPromptsPanel} from "./CachedPromptsPanel.js";

const reception = {id: "5cba5e37dedb", name: "reception-app", hint: "kvs-aaaa", createdAt: "2025-01-01T00:00:00.000Z"};

/** A cached prompt used five minutes ago, of 3 MiB, twice reused. */
function prompt(id: number, preview: string, more: Partial<CachedPrompt> = {}): CachedPrompt {
    return cachedPrompt(id, preview, {tokens: 12, bytes: 3 * 1024 * 1024, createdAt: Date.now() - 600_000, lastUsedAt: Date.now() - 300_000, hits: 2, ...more});
}

const listCalls = (backend: FakeBackend) => backend.adminFake.calls.filter((c) => c.op === "listCachedPrompts").map((c) => c.input);

describe("CachedPromptsPanel", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        resetCachedPrompts();
        useCacheStats.setState({stats: null, error: null, loading: false, scope: null});
        useApiKeys.setState({keys: [reception], created: null, error: null, busy: false});
        backend.adminFake.keys = [reception];
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("lists each prompt with its scope and sender by the key's name, its size, use, and a mark for another model's", async () => {
        // The keys are read by the panel itself (opened first, before the dashboard or the settings read them).
        useApiKeys.setState(useApiKeys.getInitialState());
        backend.adminFake.cachedPrompts = [
            prompt(1, "Once upon a time there was a cat", {scope: "user:key/5cba5e37dedb", sender: "key/5cba5e37dedb", characters: 900}),
            prompt(2, "You are the clinic's assistant", {scope: "shared", currentModel: false, lastUsedAt: Date.now() - 200_000})
        ];
        render(<CachedPromptsPanel />);
        const rows = await screen.findAllByTestId("cached-prompt");
        expect(rows.map((r) => r.getAttribute("data-entry-id"))).toEqual(["2", "1"]);
        const [shared, cat] = rows as [HTMLElement, HTMLElement];
        const facts = (row: HTMLElement) => [...row.querySelectorAll("dt")].map((dt) => `${dt.textContent}: ${dt.nextElementSibling?.textContent}`);
        expect(facts(cat)).toEqual([
            "Scope: reception-app (API key) user:key/5cba5e37dedb",
            "Sender: reception-app (API key) key/5cba5e37dedb",
            "Tokens: 12",
            "Size: 3.0 MiB",
            "Cached: 10 min ago",
            "Last used: 5 min ago",
            "Hits: 2"
        ]);
        // A preview cut short says so.
        expect(within(cat).getByTestId("cached-prompt-text").textContent).toBe("Once upon a time there was a cat… (the first 32 of 900 characters)");
        expect(within(cat).queryByTestId("cached-prompt-other-model")).toBeNull();
        expect(facts(shared)).toContain("Sender: —");
        expect(within(shared).getByTestId("cached-prompt-other-model").textContent).toBe("Other model: used once it is loaded again");
        expect(screen.getByRole("list", {name: "Cached prompts"})).toBeTruthy();
        expect(screen.getByTestId("cached-prompts-range").textContent).toBe("1–2 of 2");
        expect(screen.queryByTestId("cached-prompts-next")).toBeNull();
        // The scope choice names the scopes listed, an issued key's by its name.
        const scope = screen.getByRole("combobox", {name: "Scope of the cached prompts"}) as HTMLSelectElement;
        expect([...scope.options].map((o) => o.textContent)).toEqual(["All scopes", "shared", "reception-app (API key) · user:key/5cba5e37dedb"]);
        fireEvent.change(scope, {target: {value: "shared"}});
        await waitFor(() => expect(screen.getAllByTestId("cached-prompt")).toHaveLength(1));
        expect(listCalls(backend).at(-1)).toEqual({scope: "shared", limit: 20});
    });

    it("searches a pause after typing, once, and says when nothing holds the text", async () => {
        backend.adminFake.cachedPrompts = [prompt(1, "Patient Dee Moss has the rare fever"), prompt(2, "A cat in the garden")];
        render(<CachedPromptsPanel />);
        await screen.findAllByTestId("cached-prompt");
        const search = screen.getByRole("searchbox", {name: "Search the cached prompts' text"});
        for (const typed of ["f", "fe", "fev", "fever"]) fireEvent.change(search, {target: {value: typed}});
        await waitFor(() => expect(screen.getAllByTestId("cached-prompt")).toHaveLength(1));
        expect(listCalls(backend).filter((input) => "text" in (input as object))).toEqual([{text: "fever", limit: 20}]);
        expect(screen.getByTestId("cached-prompt-text").textContent).toContain("rare fever");

        // Enter searches at once.
        fireEvent.change(search, {target: {value: "zebra"}});
        await act(async () => fireEvent.submit(search));
        expect(screen.getByTestId("cached-prompts-empty").textContent).toBe("No cached prompt holds ‘zebra’");
        expect(screen.queryByTestId("cached-prompts-range")).toBeNull();
    });

    it("takes at most the text the server searches for, and lists no rows after a failed search", async () => {
        backend.adminFake.cachedPrompts = [prompt(1, "Patient Dee Moss has the rare fever"), prompt(2, "A cat in the garden")];
        render(<CachedPromptsPanel />);
        await screen.findAllByTestId("cached-prompt");
        const search = screen.getByRole("searchbox", {name: "Search the cached prompts' text"}) as HTMLInputElement;
        expect(search.maxLength).toBe(500);
        backend.adminFake.failing.set("listCachedPrompts", new Error("The KVShare server is not reachable"));
        fireEvent.change(search, {target: {value: "fever"}});
        await act(async () => fireEvent.submit(search));
        expect(screen.getByTestId("cached-prompts-error").textContent).toBe("The KVShare server is not reachable");
        expect(screen.queryByTestId("cached-prompt")).toBeNull();
        expect(screen.queryByTestId("cached-prompts-range")).toBeNull();
    });

    it("pages the list as it was loaded while prompts are cached, says how many were, and shows them on asking", async () => {
        backend.adminFake.cachedPrompts = Array.from({length: 30}, (_, i) => prompt(i + 1, `Story number ${i + 1}`, {lastUsedAt: 1000 + i}));
        render(<CachedPromptsPanel />);
        await waitFor(() => expect(screen.getByTestId("cached-prompts-range").textContent).toBe("1–20 of 30"));
        expect(screen.getByTestId("cached-prompts").textContent).toContain("newest cached first");
        // One cached and one of the next page reused meanwhile: the next page is the one that was, without a repeat.
        backend.adminFake.cachedPrompts = [
            ...backend.adminFake.cachedPrompts.map((p) => (p.id === 3 ? {...p, lastUsedAt: Date.now(), hits: 3} : p)),
            prompt(31, "Story number 31", {lastUsedAt: 2000})
        ];
        await act(async () => fireEvent.click(screen.getByRole("button", {name: "Next"})));
        expect(screen.getByTestId("cached-prompts-range").textContent).toBe("21–30 of 30");
        expect(screen.getAllByTestId("cached-prompt").map((r) => r.getAttribute("data-entry-id"))).toEqual(["10", "9", "8", "7", "6", "5", "4", "3", "2", "1"]);
        expect(screen.queryByTestId("cached-prompts-changed")).toBeNull();
        expect(screen.getByTestId("cached-prompts-newer").textContent).toBe("1 prompt was cached since this list was loaded. Show the newest");
        await act(async () => fireEvent.click(screen.getByRole("button", {name: "Show the newest"})));
        expect(screen.getByTestId("cached-prompts-range").textContent).toBe("1–20 of 31");
        expect(screen.getAllByTestId("cached-prompt")[0]!.getAttribute("data-entry-id")).toBe("31");
        expect(screen.queryByTestId("cached-prompts-newer")).toBeNull();
    });

    it("says when nothing is cached, in a scope named by its key", async () => {
        useCachedPrompts.setState({scope: "user:key/5cba5e37dedb"});
        render(<CachedPromptsPanel />);
        expect((await screen.findByTestId("cached-prompts-empty")).textContent).toBe("Nothing cached in reception-app (API key) user:key/5cba5e37dedb");
    });

    it("pages through them, the ends staying focusable", async () => {
        backend.adminFake.cachedPrompts = Array.from({length: 57}, (_, i) => prompt(i + 1, `Story number ${i + 1}`, {lastUsedAt: 1000 + i}));
        render(<CachedPromptsPanel />);
        await waitFor(() => expect(screen.getByTestId("cached-prompts-range").textContent).toBe("1–20 of 57"));
        const previous = screen.getByRole("button", {name: "Previous"});
        const next = screen.getByRole("button", {name: "Next"});
        expect(previous.getAttribute("aria-disabled")).toBe("true");
        await act(async () => fireEvent.click(next));
        expect(screen.getByTestId("cached-prompts-range").textContent).toBe("21–40 of 57");
        expect(screen.getAllByTestId("cached-prompt")[0]!.getAttribute("data-entry-id")).toBe("37");
        await act(async () => fireEvent.click(next));
        expect(screen.getByTestId("cached-prompts-range").textContent).toBe("41–57 of 57");
        expect(next.getAttribute("aria-disabled")).toBe("true");
        await act(async () => fireEvent.click(next));
        expect(screen.getByTestId("cached-prompts-range").textContent).toBe("41–57 of 57");
        await act(async () => fireEvent.click(previous));
        expect(screen.getByTestId("cached-prompts-range").textContent).toBe("21–40 of 57");
    });

    it("deletes one after asking, names it, and moves the focus to the list's heading", async () => {
        backend.adminFake.cachedPrompts = [prompt(1, "Patient Dee Moss tested positive for the rare fever"), prompt(2, "A cat in the garden")];
        render(<CachedPromptsPanel />);
        const ask = await screen.findByRole("button", {name: "Delete cached prompt “Patient Dee Moss tested positive for”…"});
        fireEvent.click(ask);
        const confirm = screen.getByRole("button", {name: "Delete cached prompt “Patient Dee Moss tested positive for”"});
        expect(document.activeElement).toBe(confirm);
        await act(async () => fireEvent.click(confirm));
        expect(screen.getAllByTestId("cached-prompt").map((r) => r.getAttribute("data-entry-id"))).toEqual(["2"]);
        expect(screen.getByRole("status").textContent).toBe("Deleted the cached prompt starting “Patient Dee Moss tested positive for”.");
        expect(document.activeElement).toBe(screen.getByRole("heading", {name: "Cached prompts"}));
        expect(backend.adminFake.cachedPrompts.map((p) => p.id)).toEqual([2]);
    });

    it("shows the server's refusal of a deletion, and the prompt stays listed", async () => {
        backend.adminFake.cachedPrompts = [prompt(1, "A cat in the garden")];
        render(<CachedPromptsPanel />);
        fireEvent.click(await screen.findByTestId("cached-prompt-delete"));
        backend.adminFake.failing.set("deleteCachedPrompt", new Error("The cache is busy: try again."));
        await act(async () => fireEvent.click(screen.getByTestId("cached-prompt-delete-confirm")));
        expect(screen.getByRole("alert").textContent).toBe("The cache is busy: try again.");
        expect(screen.getAllByTestId("cached-prompt")).toHaveLength(1);
        expect(screen.getByRole("status").textContent).toBe("");
    });

    it("offers no deletion of a marked shared prefix (the server refuses it), says where it goes, and why its text is listed twice", async () => {
        // The server keeps a marked text in two forms (a chat's system prompt, the plain text): two rows, the same text.
        const text = "You are the triage assistant of Lakeside Clinic. Be brief.";
        backend.adminFake.cachedPrompts = [prompt(1, text, {scope: "shared", tokens: 40}), prompt(2, text, {scope: "shared", tokens: 75}), prompt(3, "A cat")];
        render(<CachedPromptsPanel />);
        await screen.findAllByTestId("cached-prompt");
        const row = (id: number) => screen.getAllByTestId("cached-prompt").find((r) => r.dataset.entryId === String(id))!;
        for (const [id, tokens] of [
            [1, "40"],
            [2, "75"]
        ] as const) {
            const shared = row(id);
            expect(within(shared).queryByTestId("cached-prompt-delete")).toBeNull();
            expect(within(shared).queryByRole("button")).toBeNull();
            const note = within(shared).getByTestId("cached-prompt-shared-note").textContent;
            expect(note).toMatch(/marked shared prefix, kept as a chat's system prompt and as plain text: the same text is listed once per form/);
            expect(note).toMatch(/To remove it, take its text out of the Shared prefixes box in the settings/);
            expect(within(shared).getByText("Tokens").nextElementSibling?.textContent).toBe(tokens);
        }
        // A prompt of a scope is deleted here, as before.
        expect(within(row(3)).getByTestId("cached-prompt-delete")).toBeTruthy();
        expect(within(row(3)).queryByTestId("cached-prompt-shared-note")).toBeNull();
    });
});

describe("cached prompt wording", () => {
    it("names a prompt by its first words on one line, and says how long ago it was used", () => {
        expect(promptWords("  Once\nupon   a time there was a cat")).toBe("Once upon a time there was");
        expect(promptWords("Supercalifragilisticexpialidocious-and-more-and-more words")).toBe("Supercalifragilisticexpialidocious-and-m");
        expect(timeAgo(10_000, 10_500)).toBe("just now");
        expect(timeAgo(0, 90 * 60_000)).toBe("1.5 h ago");
    });
});
