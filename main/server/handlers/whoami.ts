import type {SignedIn} from "../../../shared/admin.js";
import type {RequestContext} from "../context.js";
import {sendJson} from "../errors.js";

/** Where a page (or another app) asks who its key signs in as. */
export const whoamiPath = "/kvshare/whoami";

/**
 * GET /kvshare/whoami: whether the key is the app's own or an issued one, with the issued key's name and group —
 * what the page needs to offer an issued key's holder the chat alone (the other /kvshare routes are the app key's).
 */
export function getWhoami(ctx: RequestContext): void {
    const {admin, name, group} = ctx.identity;
    const view: SignedIn = {app: admin, name, group: admin ? null : (group ?? null), keyRequired: ctx.host.settings.api.auth};
    sendJson(ctx.res, 200, view, ctx.corsHeaders);
}
