import {describe, expect, it} from "vitest";
import {effectiveSharing, defaultSharingSettings, recomputePolicies} from "../../shared/settings.js";
import {SettingsValidationError, validateSettingsPatch} from "./validateSettings.js";

function refused(input: unknown): SettingsValidationError {
    try {
        validateSettingsPatch(input);
    } catch (error) {
        if (error instanceof SettingsValidationError) return error;
        throw error;
    }
    throw new Error("accepted");
}

describe("per-scope overrides, history and monitor settings", () => {
    it("accepts a scope's threshold and budget and drops empty overrides", () => {
        const patch = validateSettingsPatch({
            sharing: {scopeOverrides: {"group:ward-3": {similarityThreshold: 0.6}, "user:amy": {recomputeBudget: 0.3, similarityThreshold: null}, global: {}}}
        });
        expect(patch.sharing?.scopeOverrides).toEqual({"group:ward-3": {similarityThreshold: 0.6}, "user:amy": {recomputeBudget: 0.3}});
    });

    it("refuses unknown scopes, fields and out-of-range values with the dotted name", () => {
        expect(refused({sharing: {scopeOverrides: {"ward-3": {similarityThreshold: 0.5}}}}).param).toBe("sharing.scopeOverrides.ward-3");
        expect(refused({sharing: {scopeOverrides: {global: {topK: 3}}}}).param).toBe("sharing.scopeOverrides.global.topK");
        expect(refused({sharing: {scopeOverrides: {global: {recomputeBudget: 1.5}}}}).message).toContain("between 0 and 1");
        expect(refused({sharing: {scopeOverrides: []}}).param).toBe("sharing.scopeOverrides");
        expect(refused({sharing: {historyDays: 0}}).param).toBe("sharing.historyDays");
        expect(refused({sharing: {monitorShare: 2}}).param).toBe("sharing.monitorShare");
        expect(validateSettingsPatch({sharing: {monitorShare: null, historyDays: 7}}).sharing).toEqual({monitorShare: null, historyDays: 7});
    });

    it("puts a scope's own values over the global ones, for that scope only", () => {
        const settings = {...defaultSharingSettings, scopeOverrides: {"group:ward-3": {similarityThreshold: 0.7}}};
        expect(effectiveSharing(settings, "group:ward-3")).toMatchObject({similarityThreshold: 0.7, recomputeBudget: defaultSharingSettings.recomputeBudget});
        expect(effectiveSharing(settings, "group:ward-4").similarityThreshold).toBe(defaultSharingSettings.similarityThreshold);
        expect(effectiveSharing(settings, "toString").similarityThreshold).toBe(defaultSharingSettings.similarityThreshold);
    });
});

describe("recompute policy setting", () => {
    it("accepts each policy", () => {
        for (const policy of recomputePolicies) expect(validateSettingsPatch({sharing: {recomputePolicy: policy}}).sharing).toEqual({recomputePolicy: policy});
    });

    it("refuses anything else, naming the setting and the allowed policies", () => {
        for (const value of ["DHD", "cacheblend", "", 2, null, ["dhd"]]) {
            const error = refused({sharing: {recomputePolicy: value}});
            expect(error.param, String(value)).toBe("sharing.recomputePolicy");
            expect(error.message).toBe('sharing.recomputePolicy must be one of "none", "boundary", "epic", "deviation", "dhd", "dhd-decode", "dhd-guard".');
        }
    });
});
