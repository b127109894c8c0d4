import {useLayoutEffect, useRef, useState, type RefObject} from "react";

/** Within this distance of the bottom, the view counts as at the latest message (and keeps following it). */
const AT_LATEST_PX = 80;

export interface FollowLatest {
    scroller: RefObject<HTMLDivElement | null>;
    /** False once the user scrolled up to read (in this chat): new text no longer moves the view. */
    following: boolean;
    onScroll: () => void;
    jumpToLatest: () => void;
}

/**
 * Keeps a chat's scroller at its newest message as text arrives, unless the user scrolled up in it. Every
 * chat opens at its newest message, following: being scrolled up in one chat says nothing about the next.
 */
export function useFollowLatest(conversationId: string | undefined, content: unknown): FollowLatest {
    const scroller = useRef<HTMLDivElement>(null);
    const followingNow = useRef(true);
    const [following, setFollowing] = useState(true);
    const follow = (value: boolean): void => {
        followingNow.current = value;
        setFollowing(value);
    };
    const toBottom = (): void => {
        const el = scroller.current;
        if (el) el.scrollTop = el.scrollHeight;
    };

    // Before paint: the chat is never drawn at the previous chat's position first.
    useLayoutEffect(() => {
        follow(true);
        toBottom();
    }, [conversationId]);
    useLayoutEffect(() => {
        if (followingNow.current) toBottom();
    }, [content]);

    return {
        scroller,
        following,
        onScroll: () => {
            const el = scroller.current;
            if (!el) return;
            const atLatest = el.scrollHeight - el.scrollTop - el.clientHeight < AT_LATEST_PX;
            if (atLatest !== followingNow.current) follow(atLatest);
        },
        jumpToLatest: () => {
            follow(true);
            toBottom();
        }
    };
}
