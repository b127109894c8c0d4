import type {CacheStats} from "../../shared/admin.js";
import type {RequestContext} from "../server/context.js";
import {requester} from "../server/context.js";
import {sendJson} from "../server/errors.js";
import {scopeFor} from "../sharing/engine/scopes.js";
import {cacheStats} from "./statsService.js";

/** Where a key's holder (a ward's or a class's admin) reads its own scope's dashboard numbers. */
export const scopeStatsPath = "/kvshare/scope/stats";

/**
 * GET /kvshare/scope/stats: the dashboard's numbers (requests, hit rate, tokens saved, TTFT, quality
 * checks) for the scope the calling key's requests run in: a group key sees its group's. Numbers
 * only: no donor texts (they are other people's prompts), no other scope's requests. The app's own
 * key has the full dashboard (`/kvshare/cache/stats`, `?scope=`) and gets that of the anonymous user here.
 */
export function getScopeStats(ctx: RequestContext): void {
    const who = requester(ctx, undefined);
    const scope = scopeFor(who.user, ctx.core.settings.sharing, who.group);
    const stats = cacheStats(ctx.core, {scope});
    // Nothing that counts across scopes: index ids (a global counter), lifetime hits and sizes of
    // shared entries, or the whole cache's totals would show other scopes' activity.
    const engine = ctx.core.inference?.runtime.sharing;
    const totals = ctx.core.cacheStore?.scopeTotals(scope) ?? {entries: 0, bytes: 0};
    const view: CacheStats = {
        ...stats,
        scopes: [scope],
        cache: {...totals, budgetBytes: stats.cache.budgetBytes},
        topDonors: stats.topDonors.map((donor) => ({id: engine?.publicDonorId(donor.id) ?? 0, hits: donor.hits, lifetimeHits: donor.hits, prompt: null, scope: donor.scope, bytes: null}))
    };
    sendJson(ctx.res, 200, view, ctx.corsHeaders);
}
