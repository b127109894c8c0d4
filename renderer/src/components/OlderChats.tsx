import {useEffect, useState} from "react";
import {useConversations} from "../stores/useConversations.js";

/** How long the search text rests before the server is asked for older chats holding it. */
const SEARCH_PAUSE_MS = 300;

/**
 * The chats the server keeps beyond the pages read (a listing gives the newest ones): a button reads the next page
 * in, and a search asks the server for the older chats holding its words, so no chat is out of reach.
 */
export function OlderChats({query, profile}: {query: string; profile: string}) {
    const olderCursor = useConversations((s) => s.olderCursor);
    const searching = query.trim() !== "";
    // Reads in flight (a search typed on while one is on its way): busy until the last is back.
    const [reading, setReading] = useState(0);
    const busy = reading > 0;
    const whileReading = (read: Promise<void>): void => {
        setReading((n) => n + 1);
        void read.finally(() => setReading((n) => n - 1));
    };
    useEffect(() => {
        if (!searching || olderCursor === null) return;
        const timer = setTimeout(() => whileReading(useConversations.getState().findOlder(query, profile)), SEARCH_PAUSE_MS);
        return () => clearTimeout(timer);
    }, [query, profile, searching, olderCursor]);
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
            // Not disabled while it reads: a disabled button would drop the keyboard's focus to the page.
            aria-busy={busy}
            onClick={() => {
                if (!busy) whileReading(useConversations.getState().loadOlder());
            }}
        >
            {busy ? "Reading older chats…" : "Show older chats"}
        </button>
    );
}
