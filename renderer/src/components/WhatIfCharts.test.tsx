import {cleanup, render, screen} from "@testing-library/react";
import {afterEach, describe, expect, it, vi} from "vitest";
import type {WhatIfCurves} from "../../../shared/admin.js";
import {fakeWhatIf} from "../testing/fakeAdmin.js";
import {BudgetChart, ThresholdChart} from "./WhatIfCharts.js";

// The unit tests' DOM has no canvas: the chart stands in as its series' labels, which are what its legend lists.
vi.mock("react-chartjs-2", () => ({
    Chart: ({data}: {data: {datasets: Array<{label: string}>}}) => (
        <ul data-testid="series">
            {data.datasets.map((d) => (
                <li key={d.label}>{d.label}</li>
            ))}
        </ul>
    )
}));

const series = () => [...screen.getByTestId("series").children].map((li) => li.textContent);

/** The fake curves before any quality check: no measured agreement at any threshold or budget. */
function unchecked(): WhatIfCurves {
    const curves = fakeWhatIf();
    return {
        ...curves,
        threshold: {...curves.threshold, agreement: curves.threshold.x.map(() => null)},
        budget: {...curves.budget, agreement: curves.budget.x.map(() => null), checks: curves.budget.x.map(() => 0)}
    };
}

describe("what-if charts", () => {
    afterEach(cleanup);

    it("draws measured agreement once quality checks measured some", () => {
        render(<BudgetChart curves={fakeWhatIf()} saved={0.15} typed={null} />);
        expect(series()).toEqual(["Donor tokens left reused (% of budget 0)", "Measured agreement with full compute", "Saved 0.15"]);
    });

    it("leaves a series without points out of the chart and its legend (no quality check yet)", () => {
        render(<BudgetChart curves={unchecked()} saved={0.15} typed={null} />);
        expect(series()).toEqual(["Donor tokens left reused (% of budget 0)", "Saved 0.15"]);
        cleanup();
        render(<ThresholdChart curves={unchecked()} saved={0.3} typed={0.6} />);
        expect(series()).toEqual(["Hit rate (from a donor)", "Any reuse (own prefix too)", "Prompt tokens kept (before recompute)", "Saved 0.3", "Typed 0.6"]);
    });
});
