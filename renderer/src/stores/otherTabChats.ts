import {byLastActivity} from "../../../shared/chatActivity.js";
import {isBlank} from "../lib/conversationEdits.js";
import {withDeletions} from "../lib/conversationRecords.js";
import {keptFor, rememberIds} from "../lib/rememberedIds.js";
import type {Conversation} from "../lib/types.js";
import type {PersistedConversations} from "./conversationsState.js";

/** Another tab's stored state, as far as it could be read (a tab of an older app may lack some of it). */
interface OtherTabState {
    conversations: Conversation[];
    removedIds: string[];
    restoredIds: string[];
    removedAt: Record<string, number>;
}

function ids(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((id): id is string => typeof id === "string") : [];
}

/** Reads what another tab wrote to the shared storage; null when it holds no chats (or is not JSON). */
function readOtherTab(raw: string | null): OtherTabState | null {
    try {
        const parsed = JSON.parse(raw ?? "null") as {
            state?: {conversations?: unknown; removedIds?: unknown; removedAt?: unknown; restoredIds?: unknown};
        } | null;
        if (!Array.isArray(parsed?.state?.conversations)) return null;
        const times = parsed.state.removedAt;
        return {
            conversations: parsed.state.conversations as Conversation[],
            removedIds: ids(parsed.state.removedIds),
            restoredIds: ids(parsed.state.restoredIds),
            removedAt:
                typeof times === "object" && times != null && !Array.isArray(times)
                    ? Object.fromEntries(Object.entries(times).filter((entry): entry is [string, number] => typeof entry[1] === "number"))
                    : {}
        };
    } catch {
        return null;
    }
}

/**
 * This tab's chats with those of another tab's stored state (`raw`, what it wrote to the shared storage) taken
 * in: a chat newer there replaces this tab's copy, one new there is added, one deleted there goes, one brought
 * back there (undo) comes back. Null where nothing changes here.
 */
export function mergeOtherTabChats(current: PersistedConversations, raw: string | null): PersistedConversations | null {
    const there = readOtherTab(raw);
    if (there === null) return null;
    const {conversations, removedIds, removedAt, restoredIds, activeId} = current;
    // Brought back there (undo): no longer deleted here either (a tab's old copy, without the mark, is not enough).
    const restoredThere = there.restoredIds.filter((id) => removedIds.includes(id) && !there.removedIds.includes(id));
    const stillRemoved = removedIds.filter((id) => !restoredThere.includes(id));
    // Deleted there: gone here too (it is off the server already), and remembered here as well.
    const newlyRemoved = there.removedIds.filter((id) => !stillRemoved.includes(id));
    const removed = rememberIds(stillRemoved, newlyRemoved);
    const restored = rememberIds(
        restoredIds.filter((id) => !newlyRemoved.includes(id)),
        restoredThere
    );
    let merged = conversations.filter((c) => !newlyRemoved.includes(c.id));
    let changed = merged.length !== conversations.length || newlyRemoved.length > 0 || restoredThere.length > 0;
    const ours = new Map(merged.map((c) => [c.id, c]));
    for (const other of there.conversations) {
        if (typeof other?.id !== "string" || removed.includes(other.id)) continue;
        const mine = ours.get(other.id);
        if (mine === undefined) {
            if (isBlank(other)) continue;
            merged.push(other);
            changed = true;
        } else if (other.updatedAt > mine.updatedAt || (other.updatedAt === mine.updatedAt && (other.syncedAt ?? 0) > (mine.syncedAt ?? 0))) {
            // Newer there, or the same copy that tab has since saved (what the server holds is what a save grows from).
            // Messages deleted here stay deleted (that tab may have read the chat before).
            const taken = withDeletions(other, mine.deletedMessageIds);
            merged = merged.map((c) => (c === mine ? taken : c));
            changed = true;
        } else {
            // This tab's copy is the newer: the messages that tab deleted go all the same.
            const kept = withDeletions(mine, other.deletedMessageIds);
            if (kept !== mine) {
                merged = merged.map((c) => (c === mine ? kept : c));
                changed = true;
            }
        }
    }
    if (!changed) return null;
    return {
        conversations: byLastActivity(merged),
        removedIds: removed,
        removedAt: keptFor(removed, {...there.removedAt, ...removedAt}),
        restoredIds: restored,
        activeId: merged.some((c) => c.id === activeId) ? activeId : null
    };
}
