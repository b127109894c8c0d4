import type {AdminDeps} from "../admin/ports.js";
import {adminRoutes} from "./adminRoutes.js";
import type {Route} from "./context.js";
import {postChatCompletions} from "./handlers/chatCompletions.js";
import {postCompletions} from "./handlers/completions.js";
import {postEmbeddings} from "./handlers/embeddings.js";
import {getHealth} from "./handlers/health.js";
import {getMetrics} from "./handlers/metrics.js";
import {getProps} from "./handlers/props.js";
import {getSlots} from "./handlers/slots.js";
import {getModel, getModels} from "./handlers/models.js";
import {postResponses} from "./handlers/responses.js";
import {getScopeStats, scopeStatsPath} from "./handlers/scopeStats.js";
import {postDetokenize, postTokenize} from "./handlers/tokenize.js";
import {getWhoami, whoamiPath} from "./handlers/whoami.js";

/**
 * The API's one flat route table. OpenAI routes are answered under `/v1` and without it, as
 * llama-server does, so clients configured either way work. The app/admin routes run the admin
 * operations over `admin` (the desktop's IPC channel runs the same operations).
 */
export function apiRoutes(admin: AdminDeps): Route[] {
    return [
        {method: "GET", path: "/health", handler: getHealth, public: true},
        // llama-server's Prometheus metrics (and KV sharing's own), for the machine owner's monitoring.
        {method: "GET", path: "/metrics", handler: getMetrics(admin)},
        {method: "GET", path: "/props", handler: getProps},
        {method: "GET", path: "/slots", handler: getSlots},
        // llama-server's token routes, for clients that count or trim prompts in this model's tokens.
        {method: "POST", path: "/tokenize", handler: postTokenize},
        {method: "POST", path: "/detokenize", handler: postDetokenize},
        ...withAndWithoutV1([
            {method: "GET", path: "/models", handler: getModels},
            {method: "GET", path: "/models/", handler: getModel},
            {method: "POST", path: "/chat/completions", handler: postChatCompletions},
            {method: "POST", path: "/completions", handler: postCompletions},
            {method: "POST", path: "/responses", handler: postResponses},
            {method: "POST", path: "/embeddings", handler: postEmbeddings}
        ]),
        // Settings, cache stats, conversations, profiles, keys: the app's own key only.
        ...adminRoutes(admin),
        // A key holder's view of its own scope (numbers only): any key, not only the app's own.
        {method: "GET", path: scopeStatsPath, handler: getScopeStats(admin)},
        // Who the key signs in as: any key (the page offers an issued key's holder the chat alone).
        {method: "GET", path: whoamiPath, handler: getWhoami}
    ];
}

function withAndWithoutV1(list: Route[]): Route[] {
    return list.flatMap((route) => [{...route, path: "/v1" + route.path}, route]);
}
