/** The page's one polite status message for screen readers, made on first use. */
const ANNOUNCER_ID = "kvshare-announcer";

/**
 * Says `text` to screen readers (a polite status, out of sight). For what a changed button name would say: some
 * screen readers (VoiceOver) do not read out a focused button's new name.
 */
export function announce(text: string, doc: Document = document): void {
    const region = announcer(doc);
    // The same words twice in a row are still news: emptied first, then written once the emptying was seen.
    region.textContent = "";
    setTimeout(() => {
        region.textContent = text;
    }, 50);
}

/**
 * The status region, made on the first call: at start-up (a live region added with its words in it may go
 * unannounced, so it is there, empty, before anything is said).
 */
export function announcer(doc: Document = document): HTMLElement {
    let region = doc.getElementById(ANNOUNCER_ID);
    if (region === null) {
        region = doc.createElement("div");
        region.id = ANNOUNCER_ID;
        region.className = "visually-hidden";
        region.setAttribute("role", "status");
        region.setAttribute("data-testid", "announcer");
        doc.body.appendChild(region);
    }
    return region;
}
