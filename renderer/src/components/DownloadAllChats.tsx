import {useState} from "react";
import {chatsAsJson, downloadText} from "../lib/chatExport.js";
import {selectHoldsChats, useConversations} from "../stores/useConversations.js";

/** Today's date as a file name's part (2026-11-30). */
const today = (): string => new Date().toISOString().slice(0, 10);

/**
 * Every chat of this key as one JSON file: a copy to keep (an issued key's chats live in this browser only, and a
 * sign-out forgets them) or to take elsewhere. The server's older pages are read in first: every chat is in it.
 */
export function DownloadAllChats() {
    const any = useConversations((s) => selectHoldsChats(s) || s.olderCursor !== null);
    const [busy, setBusy] = useState(false);
    if (!any) return null;
    const download = async (): Promise<void> => {
        setBusy(true);
        try {
            while (useConversations.getState().olderCursor !== null) {
                const before = useConversations.getState().olderCursor;
                await useConversations.getState().loadOlder();
                // A page that could not be read: what was read is what there is.
                if (useConversations.getState().olderCursor === before) break;
            }
            const chats = useConversations.getState().conversations.filter((c) => c.messages.length > 0);
            downloadText(`kvshare-chats-${today()}.json`, chatsAsJson(chats), "application/json");
        } finally {
            setBusy(false);
        }
    };
    return (
        <button type="button" className="link-button download-all" data-testid="download-all-chats" disabled={busy} onClick={() => void download()}>
            {busy ? "Reading every chat…" : "Download all chats"}
        </button>
    );
}
