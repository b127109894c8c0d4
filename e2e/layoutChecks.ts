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
