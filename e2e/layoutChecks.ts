import type {Locator, Page} from "@playwright/test";
import {expect} from "./fixtures.js";

/**
 * The page fits its window: nothing scrolls sideways (neither the document nor the dashboard's and admin
 * pages' own scrolling box), and the element is wholly inside the window.
 */
export async function expectFits(page: Page, testId: string, nth = 0): Promise<void> {
    const overflow = await page.evaluate(() => {
        const pageBox = document.querySelector(".page-scroll");
        return Math.max(document.documentElement.scrollWidth - window.innerWidth, pageBox == null ? 0 : pageBox.scrollWidth - pageBox.clientWidth);
    });
    expect(overflow, "the page scrolls sideways").toBeLessThanOrEqual(0);
    const box = (await page.getByTestId(testId).nth(nth).boundingBox())!;
    const width = page.viewportSize()!.width;
    expect(box.x, `${testId} starts inside the window`).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `${testId} ends inside the window`).toBeLessThanOrEqual(width);
}

/** How many lines an element's text takes (1: its words and numbers are not broken across lines). */
export async function lineCount(locator: Locator): Promise<number> {
    return locator.evaluate((el) => {
        const range = document.createRange();
        range.selectNodeContents(el);
        // One rectangle per line box the text is on (rounded: a line's pieces share its top).
        return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
    });
}

/**
 * The contrast ratio (WCAG) of an element's text against the first opaque background behind it, the text blended
 * into that background as far as it (or an ancestor) is transparent. AA asks 4.5 for body text.
 */
export async function textContrast(locator: Locator): Promise<number> {
    return locator.evaluate((element) => {
        const rgb = (css: string): number[] => (css.match(/[\d.]+/g) ?? []).map(Number);
        const luminance = ([r, g, b]: number[]): number => {
            const [lr, lg, lb] = [r!, g!, b!].map((c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
            return 0.2126 * lr! + 0.7152 * lg! + 0.0722 * lb!;
        };
        let background = [255, 255, 255];
        let opacity = 1;
        for (let el: Element | null = element; el; el = el.parentElement) {
            const style = getComputedStyle(el);
            opacity *= Number(style.opacity);
            const bg = rgb(style.backgroundColor);
            if (bg.length === 3 || (bg.length === 4 && bg[3] === 1)) {
                background = bg.slice(0, 3);
                break;
            }
        }
        const text = rgb(getComputedStyle(element).color)
            .slice(0, 3)
            .map((c, i) => c * opacity + background[i]! * (1 - opacity));
        const [light, dark] = [luminance(text), luminance(background)].sort((a, b) => b - a);
        return (light! + 0.05) / (dark! + 0.05);
    });
}

/**
 * How far an element's left and right edges, as drawn, differ in colour from its middle (RGB distance, 0–441):
 * a scrolling box's edge shade says there is more of it that way. Sampled in the top padding row (no text there).
 */
export async function edgeShades(locator: Locator): Promise<{left: number; right: number}> {
    const png = (await locator.screenshot()).toString("base64");
    return locator.page().evaluate(async (data) => {
        const image = new Image();
        image.src = `data:image/png;base64,${data}`;
        await image.decode();
        const canvas = document.createElement("canvas");
        [canvas.width, canvas.height] = [image.width, image.height];
        const context = canvas.getContext("2d")!;
        context.drawImage(image, 0, 0);
        const at = (x: number): number[] => [...context.getImageData(x, 2, 1, 1).data].slice(0, 3);
        const distance = (a: number[], b: number[]): number => Math.hypot(...a.map((c, i) => c - b[i]!));
        const middle = at(Math.floor(image.width / 2));
        return {left: distance(at(1), middle), right: distance(at(image.width - 2), middle)};
    }, png);
}
