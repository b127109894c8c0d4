import {useEffect, useRef, useState} from "react";
import {focusLost} from "../lib/focusLost.js";
import {useConversations} from "../stores/useConversations.js";

/** How long a deletion can be undone (while the pointer or the focus is not on it). */
export const UNDO_MS = 10_000;

/** Where the focus goes when the toast holding it goes: the chat brought back, else the sidebar's New chat. */
function focusAfterToast(restoredId: string | null): void {
    const restored =
        restoredId === null ? null : document.querySelector<HTMLElement>(`[data-conversation-id="${CSS.escape(restoredId)}"] .conversation-select`);
    (restored ?? document.querySelector<HTMLElement>("[data-testid=new-chat]"))?.focus();
}

/**
 * "Deleted “…”. Undo": brings the chat back, the server's copy included, for a few seconds after a deletion. The
 * time does not run while the pointer or the focus is on it (one reading it, or about to press Undo, keeps it). The
 * deleted chat's × took the focus with it: the focus goes to Undo (the next thing a keyboard user may want), and
 * when the toast goes with the focus in it, to the chat brought back or New chat, never the page's top.
 */
export function UndoDelete() {
    const removed = useConversations((s) => s.recentlyRemoved);
    const [held, setHeld] = useState({pointer: false, focus: false});
    const paused = held.pointer || held.focus;
    const left = useRef(UNDO_MS);
    const undo = useRef<HTMLButtonElement>(null);
    const focusInside = useRef(false);
    const undone = useRef<string | null>(null);

    useEffect(() => {
        left.current = UNDO_MS;
        // A new toast is not held by the last one's pointer (gone from under it without a mouseleave: a tap, a sign-out).
        setHeld({pointer: false, focus: false});
        if (removed === null) return;
        if (focusLost()) undo.current?.focus();
    }, [removed]);
    useEffect(() => {
        if (removed === null || paused) return;
        const started = Date.now();
        const timer = setTimeout(() => useConversations.getState().forgetRemoved(), left.current);
        return () => {
            clearTimeout(timer);
            left.current = Math.max(0, left.current - (Date.now() - started));
        };
    }, [removed, paused]);
    // The toast went (Undo, or its time up) with the focus in it.
    useEffect(() => {
        if (removed !== null || !focusInside.current) return;
        focusInside.current = false;
        setHeld({pointer: false, focus: false});
        focusAfterToast(undone.current);
        undone.current = null;
    }, [removed]);

    if (removed === null) return null;
    return (
        <div
            className="undo-toast small"
            role="status"
            data-testid="undo-delete"
            onMouseEnter={() => setHeld((h) => ({...h, pointer: true}))}
            onMouseLeave={() => setHeld((h) => ({...h, pointer: false}))}
            onFocus={() => {
                focusInside.current = true;
                setHeld((h) => ({...h, focus: true}));
            }}
            onBlur={(e) => {
                if (e.currentTarget.contains(e.relatedTarget)) return;
                focusInside.current = false;
                setHeld((h) => ({...h, focus: false}));
            }}
        >
            <span>Deleted “{removed.conversation.title}”.</span>
            <button
                ref={undo}
                type="button"
                className="link-button"
                data-testid="undo-delete-button"
                onClick={() => {
                    undone.current = removed.conversation.id;
                    useConversations.getState().undoRemove();
                }}
            >
                Undo
            </button>
        </div>
    );
}
