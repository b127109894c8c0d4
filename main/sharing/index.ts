/**
 * KVShare semantic sharing building blocks: token alignment, prompt embedders, the
 * persistent cache index, and the recompute policy. Pure of HTTP and of llama.cpp contexts (the
 * LlamaEmbedder only wraps a model the caller owns); the request path composes them.
 */
export * from "./align/index.js";
export * from "./embed/index.js";
export * from "./policy/index.js";
export * from "./store/index.js";
