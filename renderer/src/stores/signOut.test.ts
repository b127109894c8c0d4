import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {API_KEY_STORAGE, loadApiKey, saveApiKey} from "../backend/apiKey.js";
import {setBackend} from "../backend/current.js";
import {answeringEntryKey} from "./answeringElsewhere.js";
import {followSignIns, forgetChatsHere, signOut} from "./signOut.js";
import {useChatStream} from "./useChatStream.js";
import {useConnection} from "./useConnection.js";
import {CONVERSATIONS_STORAGE, flushConversationSaves, useConversations} from "./useConversations.js";
import {useDrafts} from "./useDrafts.js";
import {useProfiles} from "./useProfiles.js";
import {freshChatState} from "../testing/freshChatState.js";
import type {FakeBackend} from "../testing/fakes.js";

/** Every name of a storage area. */
const names = (area: Storage): string[] => [...Array(area.length).keys()].map((i) => area.key(i)!).sort();

/** A chat with a question and its answer, typed in this page, and a draft in another. */
async function chatWithAnswer(backend: FakeBackend, question: string): Promise<void> {
    const send = useChatStream.getState().send(question);
    backend.complete({content: "an answer"});
    await send;
    useDrafts.getState().setDraft("other", "half a question");
}

describe("signing out", () => {
    let backend: FakeBackend;
    let stop: () => void;
    beforeEach(() => {
        sessionStorage.clear();
        backend = freshChatState({apiKey: "sk-one", status: "ok", error: null});
        saveApiKey("sk-one");
        stop = followSignIns();
    });
    afterEach(() => {
        stop();
        setBackend(null);
    });

    it("takes in no chat list or profiles that come back after the sign-out (they were read for the one before)", async () => {
        await chatWithAnswer(backend, "the teacher's question");
        await flushConversationSaves();
        const releaseList = backend.holdAnswers("listConversations");
        const reading = useConversations.getState().refresh();
        const releaseProfiles = backend.holdAnswers("listProfiles");
        const profiles = useProfiles.getState().load();
        forgetChatsHere("all");
        releaseList();
        releaseProfiles();
        await reading;
        await profiles;
        expect(useConversations.getState().conversations.flatMap((c) => c.messages)).toEqual([]);
        expect(localStorage.getItem(CONVERSATIONS_STORAGE) ?? "").not.toContain("teacher");
        expect(useProfiles.getState().profiles).toEqual([]);
    });

    it("forgets the key and everything the app keeps in this browser's storages, and asks for a key", async () => {
        await chatWithAnswer(backend, "a private question");
        await flushConversationSaves();
        localStorage.setItem(answeringEntryKey("tab-2", "c1"), String(Date.now()));
        localStorage.setItem("kvshare.hitStrip", "{}");
        localStorage.setItem("another-app", "its own");
        sessionStorage.setItem("kvshare.activeChat", "c1");
        sessionStorage.setItem("kvshare.dashboard.scope", "group:ward");
        useProfiles.setState({active: "Nurse"});

        await signOut();

        expect(loadApiKey()).toBeNull();
        expect(useConnection.getState()).toMatchObject({apiKey: null, status: "unauthorized", error: null});
        // Left: another app's entry, and the new, empty chat the page starts on (nothing of the one before).
        expect(names(localStorage)).toEqual(["another-app", CONVERSATIONS_STORAGE]);
        expect(localStorage.getItem(CONVERSATIONS_STORAGE)).not.toContain("private");
        expect(names(sessionStorage).filter((name) => name !== "kvshare.activeChat" && name !== "kvshare.newChats")).toEqual([]);
        expect(sessionStorage.getItem("kvshare.activeChat")).not.toBe("c1");
        expect(useConversations.getState().conversations).toEqual([expect.objectContaining({messages: []})]);
        expect(useDrafts.getState().drafts).toEqual({});
        expect(useProfiles.getState().active).toBe("Guest");
    });

    it("stops an answer being written and keeps nothing of it", async () => {
        void useChatStream.getState().send("a question");
        backend.delta("half an ans");
        await signOut();
        expect(useChatStream.getState().answers).toEqual({});
        expect(backend.open).toBe(0);
        expect(JSON.stringify(useConversations.getState().conversations)).not.toContain("half an ans");
    });

    it("signs out where another tab of the browser signed out, and writes no key back", async () => {
        await chatWithAnswer(backend, "a private question");
        // The other tab's sign-out: the key gone from the shared storage.
        localStorage.removeItem(API_KEY_STORAGE);
        window.dispatchEvent(new StorageEvent("storage", {key: API_KEY_STORAGE, oldValue: "sk-one", newValue: null}));

        expect(useConnection.getState()).toMatchObject({apiKey: null, status: "unauthorized"});
        expect(JSON.stringify(useConversations.getState().conversations)).not.toContain("private");
        useConversations.getState().create();
        expect(loadApiKey()).toBeNull();
        expect(localStorage.getItem(CONVERSATIONS_STORAGE) ?? "").not.toContain("private");
    });

    it("forgets the chats of the key before where another key signs in, here or in another tab", async () => {
        await chatWithAnswer(backend, "the first person's question");
        // Another tab opened a link with another key.
        saveApiKey("sk-two");
        window.dispatchEvent(new StorageEvent("storage", {key: API_KEY_STORAGE, oldValue: "sk-one", newValue: "sk-two"}));
        expect(useConnection.getState().apiKey).toBe("sk-two");
        expect(JSON.stringify(useConversations.getState().conversations)).not.toContain("first person");

        // This tab takes a third key (the key screen, a link): the browser's copies go too, the key stays.
        await chatWithAnswer(backend, "the second person's question");
        await useConnection.getState().setApiKey("sk-three");
        expect(loadApiKey()).toBe("sk-three");
        expect(JSON.stringify(useConversations.getState().conversations)).not.toContain("second person");
        expect(localStorage.getItem(CONVERSATIONS_STORAGE) ?? "").not.toContain("second person");
    });

    it("takes the key of a link pasted into this tab's address bar (its fragment alone changes) as on opening it", async () => {
        await chatWithAnswer(backend, "the first person's question");
        const asked: string[] = [];
        const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation((_input, init) => {
            asked.push(new Headers(init?.headers).get("authorization") ?? "");
            return Promise.resolve(new Response("{}", {status: 200}));
        });
        try {
            window.history.replaceState(null, "", "/#key=sk-two");
            window.dispatchEvent(new HashChangeEvent("hashchange"));
            // Out of the address bar, asked of the server (another key is saved, which still works), and offered.
            await vi.waitFor(() => expect(useConnection.getState().keyOffer?.key).toBe("sk-two"));
            expect(asked).toEqual(["Bearer sk-two", "Bearer sk-one"]);
            expect(window.location.hash).toBe("");
            expect(loadApiKey()).toBe("sk-one");
            expect(JSON.stringify(useConversations.getState().conversations)).toContain("first person");
            // Taken: the chats of the key before are forgotten here.
            await useConnection.getState().acceptKeyOffer();
            expect(useConnection.getState().apiKey).toBe("sk-two");
            expect(loadApiKey()).toBe("sk-two");
            expect(JSON.stringify(useConversations.getState().conversations)).not.toContain("first person");

            // Another fragment (a page of the app) is no sign-in: the key is not read again.
            const init = vi.spyOn(useConnection.getState(), "init");
            window.history.replaceState(null, "", "/#/dashboard");
            window.dispatchEvent(new HashChangeEvent("hashchange"));
            expect(init).not.toHaveBeenCalled();
            window.history.replaceState(null, "", "/#key=sk-three");
            window.dispatchEvent(new HashChangeEvent("hashchange"));
            expect(init).toHaveBeenCalledTimes(1);
            await vi.waitFor(() => expect(useConnection.getState().keyOffer?.key).toBe("sk-three"));
            init.mockRestore();
        } finally {
            fetchSpy.mockRestore();
            window.history.replaceState(null, "", "/");
        }
    });

    it("keeps the chats where the same key comes back (a reload, the key screen after a server restart)", async () => {
        await chatWithAnswer(backend, "still mine");
        await useConnection.getState().setApiKey("sk-one");
        expect(JSON.stringify(useConversations.getState().conversations)).toContain("still mine");
        forgetChatsHere("tab");
        expect(JSON.stringify(useConversations.getState().conversations)).not.toContain("still mine");
    });
});
