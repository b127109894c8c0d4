import {adminRoutes} from "../admin/httpRoutes.js";
import {getScopeStats, scopeStatsPath} from "../admin/scopeStatsRoute.js";
import type {RouteHandler} from "./context.js";
import {postChatCompletions} from "./handlers/chatCompletions.js";
import {postCompletions} from "./handlers/completions.js";
import {postEmbeddings} from "./handlers/embeddings.js";
import {getHealth} from "./handlers/health.js";
import {getModel, getModels} from "./handlers/models.js";

export interface Route {
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
    /** Exact path, or a prefix ending in "/" matched with `startsWith`. */
    path: string;
    handler: RouteHandler;
    /** Public routes need no API key. */
    public?: boolean;
}

/**
 * The API's one flat route table. OpenAI routes are answered under `/v1` and without it,
 * as llama-server does, so clients configured either way work.
 */
export const routes: readonly Route[] = [
    {method: "GET", path: "/health", handler: getHealth, public: true},
    ...withAndWithoutV1([
        {method: "GET", path: "/models", handler: getModels},
        {method: "GET", path: "/models/", handler: getModel},
        {method: "POST", path: "/chat/completions", handler: postChatCompletions},
        {method: "POST", path: "/completions", handler: postCompletions},
        {method: "POST", path: "/embeddings", handler: postEmbeddings}
    ]),
    // --- App/admin API (main/admin, shared/admin.ts): settings, cache stats, conversations, profiles.
    // Bearer-key protected like the API; the Electron IPC channel `kvshare:admin` runs the same services.
    ...adminRoutes,
    // A key holder's view of its own scope (numbers only): any key, not only the app's own.
    {method: "GET", path: scopeStatsPath, handler: getScopeStats}
    // --- end of the app/admin API
];

function withAndWithoutV1(list: Route[]): Route[] {
    return list.flatMap((route) => [{...route, path: "/v1" + route.path}, route]);
}

export function findRoute(method: string, pathname: string): {route?: Route; methodMismatch: boolean} {
    let methodMismatch = false;
    for (const route of routes) {
        const matches = route.path.endsWith("/") ? pathname.startsWith(route.path) && pathname.length > route.path.length : pathname === route.path;
        if (!matches) continue;
        if (route.method === method) return {route, methodMismatch: false};
        methodMismatch = true;
    }
    return {methodMismatch};
}
