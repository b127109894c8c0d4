import {useEffect} from "react";
import {useConversations} from "../stores/useConversations.js";

/** How long a deletion can be undone. */
export const UNDO_MS = 10_000;

/** "Deleted “…”. Undo": brings the chat back, the server's copy included, for a few seconds after a deletion. */
export function UndoDelete() {
    const removed = useConversations((s) => s.recentlyRemoved);
    useEffect(() => {
        if (removed === null) return;
        const timer = setTimeout(() => useConversations.getState().forgetRemoved(), UNDO_MS);
        return () => clearTimeout(timer);
    }, [removed]);
    if (removed === null) return null;
    return (
        <div className="undo-toast small" role="status" data-testid="undo-delete">
            <span>Deleted “{removed.conversation.title}”.</span>
            <button type="button" className="link-button" data-testid="undo-delete-button" onClick={() => useConversations.getState().undoRemove()}>
                Undo
            </button>
        </div>
    );
}
