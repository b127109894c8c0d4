/** Human-readable bytes (binary units). */
export function formatBytes(bytes: number): string {
    if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes))} B`;
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let value = bytes / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatPercent(share: number): string {
    const pct = share * 100;
    return `${pct > 0 && pct < 1 ? pct.toFixed(2) : Math.round(pct)}%`;
}

/** A short clock label for a time bucket. */
export function formatClock(ms: number, withSeconds: boolean): string {
    const d = new Date(ms);
    const two = (n: number) => String(n).padStart(2, "0");
    return `${two(d.getHours())}:${two(d.getMinutes())}${withSeconds ? `:${two(d.getSeconds())}` : ""}`;
}

/** A span of time in its largest whole unit: "10 s", "5 min", "6 h", "2 days" (rounded down below the next unit). */
export function formatSpan(ms: number): string {
    const units: Array<[number, string, string]> = [
        [86_400_000, "day", "days"],
        [3_600_000, "h", "h"],
        [60_000, "min", "min"],
        [1_000, "s", "s"]
    ];
    for (const [size, one, many] of units) {
        if (ms >= size) {
            const n = Math.round((ms / size) * 10) / 10;
            return `${n} ${n === 1 ? one : many}`;
        }
    }
    return `${Math.round(ms)} ms`;
}

export {counted} from "../../../shared/counted.js";
