/**
 * What a reload or a closed page would lose (unsaved settings, a chat the server refused): while any of it is
 * there, the browser asks before the page goes. One listener for every reason, added and removed with them.
 */
const reasons = new Set<string>();

const ask = (event: BeforeUnloadEvent): void => event.preventDefault();

/** Notes whether `reason` holds now: the page asks before it goes while some reason holds. */
export function askBeforeLeaving(reason: string, holds: boolean): void {
    if (holds) reasons.add(reason);
    else reasons.delete(reason);
    if (reasons.size > 0) window.addEventListener("beforeunload", ask);
    else window.removeEventListener("beforeunload", ask);
}
