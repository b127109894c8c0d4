import {beforeEach, describe, expect, it} from "vitest";
import type {KvShareRecord} from "../../../shared/openai.js";
import {CONVERSATIONS_STORAGE} from "./conversationsStorage.js";
import {selectActiveConversation, useConversations} from "./useConversations.js";
import {freshChatState} from "../testing/freshChatState.js";

describe("this browser's copy of the chats", () => {
    beforeEach(() => {
        freshChatState({status: "ok", error: null});
    });

    it("keeps answers' hit records without the donor's text, which the page showed with the answer", () => {
        const id = useConversations.getState().create("Nurse");
        const question = useConversations.getState().addMessage(id, {role: "user", content: "Patient Bo"});
        const hit: KvShareRecord = {
            mode: "semantic",
            prompt_tokens: 4,
            reused_tokens: 3,
            computed_tokens: 1,
            recomputed_tokens: 0,
            donor: {id: 2, similarity: 0.9, exact: false, prompt: "Patient Ann Moss", tokens: 5},
            donor_pieces: ["Patient", " Ann", " Moss"]
        };
        useConversations.getState().addAnswer(id, question.id, {role: "assistant", content: "ok", hit});
        // The page, as it was answered, still has it.
        expect(selectActiveConversation(useConversations.getState())!.messages[1]!.hit?.donor?.prompt).toBe("Patient Ann Moss");
        const stored = localStorage.getItem(CONVERSATIONS_STORAGE) ?? "";
        expect(stored).toContain('"reused_tokens":3');
        expect(stored).not.toContain("Ann");
    });
});
