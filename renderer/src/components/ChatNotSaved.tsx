import {useChatsNotSaved} from "../stores/useChatsNotSaved.js";

/**
 * At the composer of a chat the server refused to save for its size, for as long as it is not saved: what
 * changed in it since its last save is in this page only (the page asks before a reload or close).
 */
export function ChatNotSaved({conversationId}: {conversationId: string}) {
    const reason = useChatsNotSaved((s) => s.tooLarge[conversationId]);
    if (reason === undefined) return null;
    return (
        <p className="composer-notice composer-error" role="status" data-testid="chat-not-saved" title={reason}>
            This chat is too large for the server to save ({reason}). What changed in it since its last save is kept in this page only: copy what you need
            before closing or reloading the page.
        </p>
    );
}
