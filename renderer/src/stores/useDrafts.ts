import {create} from "zustand";

/**
 * What is typed but not sent yet, per chat: moving to another chat (to watch an answer, say) and back
 * finds the half-written message where it was left. Kept for this page only.
 */
interface DraftsState {
    drafts: Record<string, string>;
    setDraft: (conversationId: string, text: string) => void;
}

export const useDrafts = create<DraftsState>()((set, get) => ({
    drafts: {},
    setDraft: (conversationId, text) => {
        const drafts = {...get().drafts};
        if (text === "") delete drafts[conversationId];
        else drafts[conversationId] = text;
        set({drafts});
    }
}));
