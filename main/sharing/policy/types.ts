/** How a target position's KV was obtained, for the UI's hit strip. */
export type ReuseLabel = "reused" | "recomputed" | "new";
