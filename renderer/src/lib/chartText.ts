import {Chart as ChartJS, type Scale} from "chart.js";
import {toFont} from "chart.js/helpers";

/**
 * The longest start of `text` whose width by `measure` fits `room`, an ellipsis at its end (`text` itself where it
 * fits). Cut between characters, never inside one.
 */
export function fitText(text: string, room: number, measure: (text: string) => number): string {
    if (measure(text) <= room) return text;
    const chars = [...text];
    const cut = (length: number) => `${chars.slice(0, length).join("").trimEnd()}…`;
    // Binary search over the length kept: the width grows with it.
    let low = 0;
    let high = chars.length - 1;
    while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (measure(cut(mid)) <= room) low = mid;
        else high = mid - 1;
    }
    return cut(low);
}

/**
 * `text` in lines of at most `width` characters, broken between words, and at most `most` lines (the last
 * ending in an ellipsis where text is left out): Chart.js draws a tooltip's lines as they are, however long.
 */
export function wrapText(text: string, width: number, most: number): string[] {
    const lines: string[] = [];
    let line = "";
    for (const word of text.split(" ")) {
        if (line !== "" && line.length + 1 + word.length > width) {
            lines.push(line);
            line = "";
        }
        line = line === "" ? word : `${line} ${word}`;
        // A word longer than a line is broken where the line ends.
        while (line.length > width) {
            lines.push(line.slice(0, width));
            line = line.slice(width);
        }
    }
    if (line !== "") lines.push(line);
    if (lines.length <= most) return lines;
    return [...lines.slice(0, most - 1), fitText(`${lines[most - 1]}…`, width, (t) => t.length)];
}

/**
 * A y-axis label cut to the axis's room: Chart.js gives the axis at most half the chart and draws a longer label
 * right-aligned past the canvas's left edge, its start lost (a phone's narrow chart).
 */
export function fitToAxis(scale: Pick<Scale, "ctx" | "maxWidth">, label: string): string {
    const {ctx} = scale;
    ctx.save();
    // The ticks' font (the charts keep Chart.js's default), as the axis measures and draws them.
    ctx.font = toFont(ChartJS.defaults.font).string;
    // Less the tick padding and a margin, so that the label's last letter does not touch the bars.
    const fitted = fitText(label, scale.maxWidth - 12, (text) => ctx.measureText(text).width);
    ctx.restore();
    return fitted;
}

/** Words a share of the start of: at least this many before a label leaves them out. */
const MIN_SHARED_WORDS = 3;

/**
 * Labels that tell texts apart: where a text starts with the same words as another (the system prompt every chat
 * prompt begins with), those words give way to "…" and the label shows what follows them; a text that shares no
 * such start, or holds nothing after it, keeps its own start.
 */
export function distinctStarts(texts: readonly string[]): string[] {
    const words = texts.map((text) => text.split(" "));
    return words.map((own, i) => {
        let shared = 0;
        words.forEach((other, j) => {
            if (j === i) return;
            let n = 0;
            while (n < own.length && n < other.length && own[n] === other[n]) n++;
            shared = Math.max(shared, n);
        });
        return shared >= MIN_SHARED_WORDS && shared < own.length ? `… ${own.slice(shared).join(" ")}` : (texts[i] ?? "");
    });
}
