import {useConversations} from "./useConversations.js";
import {useProfiles} from "./useProfiles.js";
import {useView} from "./useView.js";

/** Shows a chat on the chat page, as its own profile (the sidebar lists the active profile's chats only). */
export function openConversation(id: string): void {
    const conversation = useConversations.getState().conversations.find((c) => c.id === id);
    if (!conversation) return;
    if (conversation.profile !== useProfiles.getState().active) useProfiles.getState().select(conversation.profile);
    useConversations.getState().select(id);
    useView.getState().show("chat");
}
