import {adminHttpRoutes, adminOps, type AdminOp} from "../../shared/admin.js";
import {runAdminOp} from "../admin/operations.js";
import type {AdminDeps} from "../admin/ports.js";
import type {RequestContext, Route, RouteHandler} from "./context.js";
import {ApiError, sendJson} from "./errors.js";

/** Thin HTTP handlers: gather the input (query, path key, JSON body), call the service, send JSON. */
function handlerFor(admin: AdminDeps, op: AdminOp): RouteHandler {
    const route = adminHttpRoutes[op];
    return async (ctx: RequestContext) => {
        // Settings, every profile's chats and the cache's donor texts are the machine owner's: issued
        // keys (other apps, other people) only use the OpenAI routes.
        if (!ctx.identity.admin)
            throw new ApiError(403, "permission_error", "This key may use the OpenAI API only; the app's own key is needed for /kvshare routes.", "admin_only");
        let input: Record<string, unknown> = {};
        // GET and DELETE: query parameters (e.g. revoking a key with ?purge=true); PUT/PATCH: a JSON
        // object body; POST: a JSON body when one is sent (actions such as clearing the cache take none).
        if (route.method === "GET" || route.method === "DELETE") input = Object.fromEntries(ctx.url.searchParams.entries());
        else if (route.method === "PUT" || route.method === "PATCH" || (route.method === "POST" && hasBody(ctx))) input = await ctx.body();
        if (route.key != null) {
            let key: string;
            try {
                key = decodeURIComponent(ctx.url.pathname.slice(route.path.length));
            } catch {
                throw ApiError.badRequest("The path is not valid percent-encoding.");
            }
            if (input[route.key] !== undefined && input[route.key] !== key)
                throw ApiError.badRequest(`The ${route.key} in the path and in the body differ.`, route.key);
            input = {...input, [route.key]: key};
        }
        sendJson(ctx.res, 200, await runAdminOp(admin, op, input), ctx.corsHeaders);
    };
}

/** Whether the request carries a body (a declared length above 0, or chunked). */
function hasBody(ctx: RequestContext): boolean {
    const length = ctx.req.headers["content-length"];
    return ctx.req.headers["transfer-encoding"] != null || (length != null && length !== "0");
}

/** The admin routes over `admin` (API-key protected like the OpenAI routes). */
export function adminRoutes(admin: AdminDeps): Route[] {
    return adminOps.map((op) => ({method: adminHttpRoutes[op].method, path: adminHttpRoutes[op].path, handler: handlerFor(admin, op)}));
}
