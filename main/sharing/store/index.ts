/** Persistent cache index: entries (SQLite) + prompt embeddings (sqlite-vec). */
export {CACHE_DB_FILE, CacheStore, EXACT_SEARCH_LIMIT, type CacheStoreOptions} from "./CacheStore.js";
export type {CacheEntry, CacheEntryPage, CacheEntryQuery, CacheEntrySummary, ConsistencyReport, NearestEntry, NewCacheEntry} from "./cacheEntry.js";
export {SCHEMA_VERSION} from "./schema.js";
export {snapshotAbsolutePath, SNAPSHOTS_SUBDIR} from "./snapshotFiles.js";
export {decodeTokens, encodeTokens, hashTokens} from "./tokens.js";
export type {EmbedderIdentity, VectorIndexState} from "./vectorIndex.js";
