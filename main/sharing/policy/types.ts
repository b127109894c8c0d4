/** Half-open range of target positions `[start, end)`; same shape as `PositionRange` in
 * `main/kv/editPlan.ts`, so policy output can go straight into an edit plan. */
export interface PositionRange {
  readonly start: number;
  readonly end: number;
}

/** How a target position's KV was obtained, for the UI's hit strip. */
export type ReuseLabel = "reused" | "recomputed" | "new";
