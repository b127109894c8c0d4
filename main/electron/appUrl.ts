/** The renderer is served from this custom protocol, never from file:// or the web. */
export const appScheme = "app";
export const appHost = "kvshare";
export const appIndexUrl = `${appScheme}://${appHost}/index.html`;

/**
 * True for URLs of the app's own pages. Compares the parsed scheme and host (a custom scheme's
 * WHATWG `origin` is "null" outside Chromium, and prefix matching would accept `app://kvshare.evil`).
 */
export function isAppUrl(url: string): boolean {
    try {
        const parsed = new URL(url);
        return parsed.protocol === `${appScheme}:` && parsed.host === appHost;
    } catch {
        return false;
    }
}
