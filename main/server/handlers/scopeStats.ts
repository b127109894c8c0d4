import type {CacheStats} from "../../../shared/admin.js";
import {cacheStats, type StatsDeps} from "../../admin/statsService.js";
import {scopeFor} from "../../sharing/engine/scopes.js";
import {requester, type RequestContext, type RouteHandler} from "../context.js";
import {sendJson} from "../errors.js";

/** Where a key's holder (a ward's or a class's admin) reads its own scope's dashboard numbers. */
export const scopeStatsPath = "/kvshare/scope/stats";

/**
 * GET /kvshare/scope/stats: the dashboard's numbers (requests, hit rate, tokens saved, TTFT, quality
 * checks) for the scope the calling key's requests run in: a group key sees its group's. Numbers
 * only: no donor texts (they are other people's prompts), no other scope's requests. The app's own
 * key has the full dashboard (`/kvshare/cache/stats`, `?scope=`) and gets that of the anonymous user here.
 */
export function getScopeStats(stats: StatsDeps): RouteHandler {
    return (ctx: RequestContext) => {
        const who = requester(ctx, undefined);
        const scope = scopeFor(who.user, ctx.host.settings.sharing, who.group);
        const numbers = cacheStats(stats, {scope, ownPrefill: true});
        // Nothing that counts across scopes: index ids (a global counter), lifetime hits and sizes of
        // shared entries, or the whole cache's totals would show other scopes' activity.
        // (The cache box already counts this scope's entries only.)
        const cache = stats.cache();
        const view: CacheStats = {
            ...numbers,
            scopes: [scope],
            topDonors: numbers.topDonors.map((donor) => ({
                id: cache?.publicDonorId(donor.id) ?? 0,
                hits: donor.hits,
                lifetimeHits: donor.hits,
                prompt: null,
                scope: donor.scope,
                bytes: null
            }))
        };
        sendJson(ctx.res, 200, view, ctx.corsHeaders);
    };
}
