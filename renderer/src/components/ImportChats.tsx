import {useRef, useState} from "react";
import {NotAChatsFile, readChatsFile} from "../lib/chatImport.js";
import {useConversations} from "../stores/useConversations.js";
import {useProfiles} from "../stores/useProfiles.js";

/** The largest file read in (the page holds it whole while it reads it). */
const MAX_FILE_BYTES = 64 * 2 ** 20;

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * Reads a file of chats this app downloaded (this browser's, another's, another server's) in as new chats: a
 * profile this key has keeps its chats, any other chat goes to the profile in use. Says what came of it.
 */
export function ImportChats() {
    const input = useRef<HTMLInputElement>(null);
    const [said, setSaid] = useState("");
    const read = async (file: File): Promise<void> => {
        if (file.size > MAX_FILE_BYTES) {
            setSaid(`This file is ${Math.round(file.size / 2 ** 20)} MiB; a file of chats is read up to ${MAX_FILE_BYTES / 2 ** 20} MiB.`);
            return;
        }
        const {profiles, active} = useProfiles.getState();
        const known = new Set(profiles.map((p) => p.name));
        try {
            const {chats, skipped} = readChatsFile(await file.text(), (profile) => (known.has(profile) ? profile : active));
            useConversations.getState().importChats(chats);
            setSaid(
                `${plural(chats.length, "chat")} added${skipped > 0 ? `; ${plural(skipped, "entry")} of the file skipped (not a chat this app can show)` : ""}.`
            );
        } catch (error) {
            setSaid(error instanceof NotAChatsFile ? error.message : `The file could not be read: ${(error as Error).message}`);
        }
    };
    return (
        <>
            <button type="button" className="link-button" data-testid="import-chats" onClick={() => input.current?.click()}>
                Import chats…
            </button>
            <input
                ref={input}
                type="file"
                accept=".json,application/json"
                hidden
                data-testid="import-chats-file"
                onChange={(event) => {
                    const file = event.target.files?.[0];
                    // The same file can be chosen again.
                    event.target.value = "";
                    if (file !== undefined) void read(file);
                }}
            />
            <p className="muted small" role="status" data-testid="import-chats-said">
                {said}
            </p>
        </>
    );
}
