import type {ConversationRecord} from "../../../shared/admin.js";
import {withKeptHits} from "../../../shared/keptHit.js";
import {toRecord} from "./conversationRecords.js";
import type {Conversation} from "./types.js";

/** What an export of chats says it is, so a file of chats is told from any other JSON. */
export const CHATS_EXPORT_FORMAT = "kvshare-chats";

/** An export of chats: each as the server stores it, every version of it included. */
export interface ChatsExport {
    format: typeof CHATS_EXPORT_FORMAT;
    version: 1;
    exportedAt: string;
    conversations: ConversationRecord[];
}

/**
 * Chats as JSON, to keep or to move to another app (its messages, versions, settings and hit records). The hit
 * records as a saved chat keeps them: without a donor's text (another person's prompt, shown with the answer only).
 */
export function chatsAsJson(conversations: readonly Conversation[], now = new Date()): string {
    const records = conversations.map((c) => {
        // Which messages were deleted is the sync's business, not the chat's: a chat imported is a new one.
        const {deletedMessageIds: _deleted, ...record} = toRecord(c);
        return {...record, messages: withKeptHits(record.messages)};
    });
    const file: ChatsExport = {format: CHATS_EXPORT_FORMAT, version: 1, exportedAt: now.toISOString(), conversations: records};
    return `${JSON.stringify(file, null, 2)}\n`;
}

/** The version of a chat shown, as Markdown to read or paste: its title, system prompt and messages in turn. */
export function chatAsMarkdown(c: Conversation): string {
    const parts = [`# ${c.title}`];
    if (c.systemPrompt.trim() !== "") parts.push(`> **System:** ${c.systemPrompt.trim().replace(/\n/g, "\n> ")}`);
    for (const m of c.messages) {
        const who = m.role === "user" ? "You" : "Assistant";
        const text = m.error !== undefined && m.content === "" ? `*(no answer: ${m.error})*` : m.content;
        parts.push(`**${who}:**\n\n${text}`);
    }
    return `${parts.join("\n\n")}\n`;
}

/** A file name from a chat's title: letters, digits and dashes (any script), never empty. */
export function exportFileName(title: string, extension: "md" | "json"): string {
    const base = title
        .normalize("NFKC")
        .replace(new RegExp(String.raw`[^\p{L}\p{N}]+`, "gu"), "-")
        .replace(/^-+|-+$/g, "")
        .slice(0, 60);
    return `${base === "" ? "chat" : base}.${extension}`;
}

/** Hands `text` to the browser as a file to save (a download). */
export function downloadText(name: string, text: string, type: string): void {
    const url = URL.createObjectURL(new Blob([text], {type}));
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    // After the click's download began.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
