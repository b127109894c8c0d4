import {deletedIdsOf, withoutMessages} from "../../../shared/messageVersions.js";
import {newId} from "./ids.js";
import {loadChatDefaults} from "./chatDefaults.js";
import {DEFAULT_TITLE, type Conversation, type StoredMessage} from "./types.js";
import {answerAfter, showVersion, startVersion, versionPosition} from "./versions.js";

/**
 * The changes made to one chat in this page (its messages, their versions, its name), each returning a new
 * chat and changing nothing it is given. Which chat moves up the list, and when it is saved, is the store's.
 */

/** A title taken from a question is at most this long. */
const TITLE_LENGTH = 48;
/** The longest title the server stores. */
export const MAX_TITLE_CHARS = 500;

/** A chat's title taken from its first question (one line, shortened). */
export function titleFrom(text: string): string {
    const line = text.replace(/\s+/g, " ").trim();
    if (line === "") return DEFAULT_TITLE;
    return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1).trimEnd()}…` : line;
}

/** A name given by hand as it is kept: one line, at most {@link MAX_TITLE_CHARS}; empty where it is blank. */
export function titleTyped(title: string): string {
    return title.replace(/\s+/g, " ").trim().slice(0, MAX_TITLE_CHARS);
}

/** A new, empty chat of a profile, with the settings new chats start with here (see loadChatDefaults). */
export function blankConversation(profile: string): Conversation {
    const now = Date.now();
    const {systemPrompt, params} = loadChatDefaults();
    return {id: newId(), title: DEFAULT_TITLE, profile, systemPrompt, params: {...params}, messages: [], createdAt: now, updatedAt: now};
}

/**
 * Whether `c` is a blank chat: nothing was ever written in it (no message, none deleted). A blank chat is a new
 * chat's page: kept in the browser only, reused by New chat. A chat whose messages were all deleted is not blank: it
 * is kept, on the server too, with the ids of what it held.
 */
export function isBlank(c: Pick<Conversation, "messages" | "deletedMessageIds">): boolean {
    return c.messages.length === 0 && (c.deletedMessageIds?.length ?? 0) === 0;
}

/** The time of a change to `c`: now, and always after its last change (two changes can share a millisecond). */
export function changedAt(c: Pick<Conversation, "updatedAt">): number {
    return Math.max(Date.now(), c.updatedAt + 1);
}

/** A message made now, from what the page says of it. */
export function stamped(message: Omit<StoredMessage, "id" | "createdAt">): StoredMessage {
    return {...message, id: newId(), createdAt: Date.now()};
}

/** `message` added at the chat's end; a first question names a chat not named yet (one named by hand keeps its name). */
export function withMessage(c: Conversation, message: StoredMessage): Conversation {
    const titled = c.messages.length === 0 && message.role === "user" && c.title === DEFAULT_TITLE;
    return {...c, title: titled ? titleFrom(message.content) : c.title, messages: [...c.messages, message]};
}

/** `answer` kept after the question it answers, in whichever version holds it; at the chat's end where none does. */
export function withAnswer(c: Conversation, questionId: string, answer: StoredMessage): Conversation {
    return {...c, messages: answerAfter(c.messages, questionId, answer) ?? [...c.messages, answer]};
}

/**
 * The shown answer `answerId` rewritten as `answer` (a continued answer: its text longer, its stats and hit record
 * the continuation's where it has them, its error the continuation's or none), keeping its place, id and versions;
 * null where no answer with that id is shown.
 */
export function withAnswerRewritten(c: Conversation, answerId: string, answer: Omit<StoredMessage, "id" | "createdAt">): Conversation | null {
    const index = c.messages.findIndex((m) => m.id === answerId);
    const old = c.messages[index];
    if (old === undefined || old.role !== "assistant") return null;
    // A continuation that failed has no stats of its own: the answer's stay (what it continued still stopped where it did).
    const {error: _error, ...kept} = old;
    const messages = [...c.messages];
    messages[index] = {...kept, ...answer};
    return {...c, messages};
}

/**
 * A new version of the chat from message `messageId` on, starting with `message` (at the chat's end where that
 * message is gone). A title taken from the first question follows an edit of it (one named by hand stays).
 */
export function withVersion(c: Conversation, messageId: string, message: StoredMessage): Conversation {
    const index = c.messages.findIndex((m) => m.id === messageId);
    if (index < 0) return {...c, messages: [...c.messages, message]};
    const first = c.messages[0];
    const titled = index === 0 && message.role === "user" && first !== undefined && [titleFrom(first.content), DEFAULT_TITLE].includes(c.title);
    return {...c, messages: startVersion(c.messages, index, [message]), ...(titled ? {title: titleFrom(message.content)} : {})};
}

/** The chat showing version `target` from message `messageId` on; `c` itself where that is shown already, or gone. */
export function withVersionShown(c: Conversation, messageId: string, target: number): Conversation {
    const index = c.messages.findIndex((m) => m.id === messageId);
    const head = c.messages[index];
    if (head === undefined || versionPosition(head).index === target) return c;
    return {...c, messages: showVersion(c.messages, index, target)};
}

/**
 * The chat without message `messageId` (of the version shown), its id kept as deleted so that no other copy of the
 * chat brings it back; `c` itself where no such message is shown. The versions it heads stay, on the message after it.
 */
export function withMessageDeleted(c: Conversation, messageId: string): Conversation {
    if (!c.messages.some((m) => m.id === messageId)) return c;
    return {...c, messages: withoutMessages(c.messages, new Set([messageId])), deletedMessageIds: deletedIdsOf(c.deletedMessageIds, [messageId])};
}
