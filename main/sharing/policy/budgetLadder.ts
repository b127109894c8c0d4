/**
 * The recompute budgets the what-if curve is drawn at: each shared-KV request records how many of its
 * prompt tokens each of these budgets would have left reused, so the curve needs no replay.
 */
export const budgetLadder: readonly number[] = Object.freeze([0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1]);

/** The ladder step nearest to `budget` (quality checks are grouped by it). */
export function nearestBudgetStep(budget: number): number {
    let best = budgetLadder[0]!;
    for (const step of budgetLadder) if (Math.abs(step - budget) < Math.abs(best - budget)) best = step;
    return best;
}
