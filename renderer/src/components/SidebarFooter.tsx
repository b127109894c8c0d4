import {getBackend} from "../backend/current.js";
import {CHATS_IN_BROWSER} from "../lib/chatsKept.js";
import {useConversations} from "../stores/useConversations.js";
import {useLocalCopy} from "../stores/useLocalCopy.js";
import {selectChatOnly, useSignedIn} from "../stores/useSignedIn.js";
import {DownloadAllChats} from "./DownloadAllChats.js";
import {ImportChats} from "./ImportChats.js";
import {SignOutButton} from "./SignOutButton.js";

/**
 * The sidebar's foot: where the chats are kept (and what failed of it), and Sign out. A page served over HTTP is
 * often a shared computer's (a classroom): signing out forgets the key and the chats this browser keeps. The
 * Electron window, and a server without auth, have no key to forget.
 */
export function SidebarFooter() {
    const chatOnly = useSignedIn(selectChatOnly);
    const syncError = useConversations((s) => s.syncError);
    const localCopyError = useLocalCopy((s) => s.error);
    // A server that asks for no key (`--no-auth`) has nobody signed in: a sign-out would forget only this browser's
    // copies, and the next page would read the same chats back from the server.
    const signsOut = useSignedIn((s) => s.signedIn?.keyRequired === true) && getBackend().kind === "http";
    return (
        <div className="sidebar-footer">
            {localCopyError ? (
                <p className="sync-error small" role="status" data-testid="local-copy-error" title={localCopyError}>
                    {chatOnly
                        ? "This browser cannot keep the chats (its storage is full): they are kept in this page only, until it is closed or reloaded."
                        : "This browser is not keeping a copy of the chats (its storage is full): they are kept on the server only."}
                </p>
            ) : null}
            {/* Never for an issued key: its chats are not sent to the server. */}
            {syncError && !chatOnly ? (
                <p className="sync-error small" role="status" title={syncError}>
                    Not saved to the server: {syncError}
                </p>
            ) : null}
            {chatOnly ? (
                <p className="muted small chats-kept" data-testid="chats-kept">
                    {CHATS_IN_BROWSER}
                </p>
            ) : null}
            <div className="chat-files">
                <DownloadAllChats />
                <ImportChats />
            </div>
            {signsOut ? (
                <div className="sign-out">
                    <SignOutButton testId="sign-out" />
                </div>
            ) : null}
        </div>
    );
}
