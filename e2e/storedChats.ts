import type {ConversationRecord} from "../shared/admin.js";
import {appKey, type RunningServer} from "./server.js";

/** The server's copy of the chats, newest last message first: what a reload or another browser reads (with `text`, those holding its words). */
export async function storedChats(server: RunningServer, text?: string): Promise<ConversationRecord[]> {
    const query = text === undefined ? "" : `?text=${encodeURIComponent(text)}`;
    const response = await fetch(`${server.origin}/kvshare/conversations${query}`, {headers: {authorization: `Bearer ${appKey(server)}`}});
    return (await response.json()) as ConversationRecord[];
}

/** The server's copy of the chat named `title`, or undefined. */
export async function storedChat(server: RunningServer, title: string): Promise<ConversationRecord | undefined> {
    return (await storedChats(server)).find((c) => c.title === title);
}
