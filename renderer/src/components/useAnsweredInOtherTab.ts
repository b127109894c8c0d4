import {useEffect, useState} from "react";
import {ANSWERING_STALE_MS, answeringElsewhere, useAnsweringElsewhere} from "../stores/answeringElsewhere.js";

/**
 * Whether another tab of this browser is answering the chat now: there, nothing may ask in it, edit it or switch
 * its versions until that answer is kept (it goes after its question, in the version shown there).
 */
export function useAnsweredInOtherTab(conversationId: string | null | undefined): boolean {
    const entries = useAnsweringElsewhere((s) => s.entries);
    const [now, setNow] = useState(Date.now);
    const answered = conversationId != null && answeringElsewhere(entries, conversationId, now);
    // A tab gone mid-answer stops refreshing its entry: look again now and then, so the chat is free once it is stale.
    useEffect(() => {
        if (!answered) return;
        const timer = setInterval(() => setNow(Date.now()), ANSWERING_STALE_MS / 3);
        return () => clearInterval(timer);
    }, [answered]);
    return answered;
}
