/** Pluggable prompt embedders behind one {@link Embedder} interface. */
export {dot, normalizeInPlace, type Embedder} from "./types.js";
export {LexicalEmbedder, lexicalWords, type LexicalEmbedderOptions} from "./LexicalEmbedder.js";
export {LlamaEmbedder, type LlamaEmbedderOptions} from "./LlamaEmbedder.js";
