import {useEffect, useState} from "react";
import {useConversations} from "../stores/useConversations.js";

/** How long the search text rests before the server is asked for older chats holding it. */
const SEARCH_PAUSE_MS = 300;

/**
 * The chats the server keeps beyond the pages read (a listing gives the newest ones): a button reads the next page
 * in, and a search asks the server for the older chats holding its words, so no chat is out of reach.
 */
export function OlderChats({query}: {query: string}) {
    const olderCursor = useConversations((s) => s.olderCursor);
    const [busy, setBusy] = useState(false);
    const searching = query.trim() !== "";
    useEffect(() => {
        if (!searching || olderCursor === null) return;
        let current = true;
        const timer = setTimeout(() => {
            setBusy(true);
            void useConversations
                .getState()
                .findOlder(query)
                .finally(() => {
                    if (current) setBusy(false);
                });
        }, SEARCH_PAUSE_MS);
        return () => {
            current = false;
            clearTimeout(timer);
        };
    }, [query, searching, olderCursor]);
    if (olderCursor === null) return null;
    if (searching)
        return (
            <p className="muted small" role="status" data-testid="older-chats-searching">
                {busy ? "Searching older chats too…" : ""}
            </p>
        );
    return (
        <button
            type="button"
            className="link-button older-chats"
            data-testid="load-older-chats"
            disabled={busy}
            onClick={() => {
                setBusy(true);
                void useConversations
                    .getState()
                    .loadOlder()
                    .finally(() => setBusy(false));
            }}
        >
            {busy ? "Reading older chats…" : "Show older chats"}
        </button>
    );
}
