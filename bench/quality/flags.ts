/** bench:quality's command line (see run.ts for what each flag does). */
import {existsSync} from "node:fs";
import {parseArgs} from "node:util";
import {limitSettings} from "./score.js";

/** The command line (node's parseArgs: unknown flags and flags missing their value are refused); applies `--settings`. */
export function parseFlags(): {quick: boolean; noTiming: boolean; timingOnly: boolean; scale: number; model?: string; settings?: string[]} {
    try {
        const {values} = parseArgs({
            options: {
                quick: {type: "boolean", default: false},
                "no-timing": {type: "boolean", default: false},
                "timing-only": {type: "boolean", default: false},
                model: {type: "string"},
                settings: {type: "string"},
                scale: {type: "string", default: "1"}
            },
            strict: true
        });
        const settings = values.settings?.split(",").filter((k) => k !== "");
        if (settings?.length === 0) throw new Error("--settings needs at least one setting, e.g. none,dhd-decode@0.15");
        if (settings != null) limitSettings(settings);
        if (values.model != null && !existsSync(values.model)) throw new Error(`--model ${values.model}: no such file`);
        const scale = Number(values.scale);
        if (!Number.isInteger(scale) || scale < 1 || scale > 4) throw new Error(`--scale ${values.scale}: give a whole number from 1 to 4`);
        if (scale > 1 && (values.quick || values["timing-only"]))
            throw new Error("--scale is for the quality part of the full run; --quick has its own few targets");
        return {
            scale,
            quick: values.quick,
            noTiming: values["no-timing"],
            timingOnly: values["timing-only"],
            ...(values.model == null ? {} : {model: values.model}),
            ...(settings == null ? {} : {settings})
        };
    } catch (error) {
        console.error(`bench:quality: ${(error as Error).message}`);
        process.exit(2);
    }
}
