import {lastActiveAt} from "../../../shared/chatActivity.js";
import type {Conversation} from "./types.js";

/** A stretch of the chat list, by when its chats were last written in. */
export interface ChatGroup {
    label: string;
    conversations: Conversation[];
}

const DAY_MS = 86_400_000;

/**
 * The chats (newest first) as peers' sidebars show them: the pinned ones on top (Pinned), the others in stretches
 * of time: Today, Yesterday, the previous 7 and 30 days, then each older month. Days are the local calendar's (a
 * chat of 23:50 yesterday is yesterday's).
 */
export function groupChats(conversations: readonly Conversation[], now = Date.now()): ChatGroup[] {
    const today = new Date(now);
    today.setHours(0, 0, 0, 0);
    const start = today.getTime();
    const labelOf = (at: number): string => {
        if (at >= start) return "Today";
        if (at >= start - DAY_MS) return "Yesterday";
        if (at >= start - 7 * DAY_MS) return "Previous 7 days";
        if (at >= start - 30 * DAY_MS) return "Previous 30 days";
        return new Date(at).toLocaleDateString(undefined, {month: "long", year: "numeric"});
    };
    const pinned = conversations.filter((c) => c.pinned === true);
    const groups: ChatGroup[] = pinned.length > 0 ? [{label: "Pinned", conversations: pinned}] : [];
    for (const c of conversations) {
        if (c.pinned === true) continue;
        const label = labelOf(lastActiveAt(c));
        const last = groups.at(-1);
        if (last?.label === label) last.conversations.push(c);
        else groups.push({label, conversations: [c]});
    }
    return groups;
}
