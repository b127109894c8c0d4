import type {ConversationRecord} from "../shared/admin.js";
import {listPlace} from "../shared/chatActivity.js";
import {CONVERSATION_PAGE, conversationCursor} from "../shared/conversationSearch.js";
import {appApi, type RunningServer} from "./server.js";

/** The server's copy of the chats, newest last message first: what a reload or another browser reads (with `text`, those holding its words). */
export async function storedChats(server: RunningServer, text?: string): Promise<ConversationRecord[]> {
    const query = text === undefined ? "" : `?text=${encodeURIComponent(text)}`;
    return (await (await appApi(server, `/kvshare/conversations${query}`)).json()) as ConversationRecord[];
}

/** The server's copy of the chat named `title`, or undefined. */
export async function storedChat(server: RunningServer, title: string): Promise<ConversationRecord | undefined> {
    return (await storedChats(server)).find((c) => c.title === title);
}

/** Every chat the server keeps holding `text`'s words, page after page (a listing gives 200 at most). */
export async function everyStoredChat(server: RunningServer, text: string): Promise<ConversationRecord[]> {
    const all: ConversationRecord[] = [];
    for (;;) {
        const last = all.at(-1);
        const before = last === undefined ? "" : `&before=${encodeURIComponent(conversationCursor(listPlace(last)))}`;
        const page = (await (await appApi(server, `/kvshare/conversations?text=${encodeURIComponent(text)}${before}`)).json()) as ConversationRecord[];
        all.push(...page);
        if (page.length < CONVERSATION_PAGE) return all;
    }
}

/** Deletes chats from the server (a spec's own, so the specs after it on the worker's server start without them). */
export async function deleteStoredChats(server: RunningServer, chats: readonly ConversationRecord[]): Promise<void> {
    for (const c of chats) await appApi(server, `/kvshare/conversations/${c.id}`, {method: "DELETE"});
}
