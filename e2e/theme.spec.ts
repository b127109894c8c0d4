import {expect, test} from "./fixtures.js";
import {open} from "./chatSteps.js";

const background = (page: import("@playwright/test").Page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

test("the colours follow the system until one is picked, which holds after a reload and against the system's", async ({page, server}) => {
    await page.emulateMedia({colorScheme: "light"});
    await open(page, server.url);
    expect(await background(page)).toBe("rgb(255, 255, 255)");
    await page.emulateMedia({colorScheme: "dark"});
    expect(await background(page)).toBe("rgb(24, 24, 27)");

    // Picked light while the system is dark.
    await page.getByTestId("theme-button").click();
    await expect(page.getByTestId("theme-button")).toHaveAttribute("data-theme-shown", "light");
    expect(await background(page)).toBe("rgb(255, 255, 255)");
    await page.reload();
    await expect(page.getByTestId("theme-button")).toHaveAttribute("data-theme-shown", "light");
    expect(await background(page)).toBe("rgb(255, 255, 255)");

    // Dark while the system is light, and back to the system's.
    await page.emulateMedia({colorScheme: "light"});
    await page.getByTestId("theme-button").click();
    expect(await background(page)).toBe("rgb(24, 24, 27)");
    await page.getByTestId("theme-button").click();
    await expect(page.getByTestId("theme-button")).toHaveAttribute("data-theme-shown", "system");
    expect(await background(page)).toBe("rgb(255, 255, 255)");
});
