import {mkdirSync} from "node:fs";
import {join} from "node:path";
import type {Locator, Page} from "@playwright/test";
import {answered, open, send} from "./chatSteps.js";
import {expect, test} from "./fixtures.js";
import {expectFits, textContrast} from "./layoutChecks.js";
import {repoRoot} from "./server.js";

const shots = join(repoRoot, "e2e/screenshots");
mkdirSync(shots, {recursive: true});

/** The element drawn at a locator's centre is it (or inside it): nothing covers it. */
async function onTop(locator: Locator): Promise<boolean> {
    return locator.evaluate((el) => {
        const box = el.getBoundingClientRect();
        const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return top !== null && (top === el || el.contains(top));
    });
}

/** A chat with one answered question, for the pages below to show. */
async function answeredChat(page: Page, question: string): Promise<void> {
    await page.getByTestId("new-chat").click();
    await send(page, question);
    await answered(page, 0);
}

test.describe("accessibility: zoom and reflow", () => {
    for (const [width, height] of [
        [640, 400],
        [683, 384]
    ] as const)
        test(`${width}×${height} (a laptop at 200%): the drawer's chat list is shown and its chats reachable`, async ({page, server}) => {
            await open(page, server.url);
            await answeredChat(page, `Once upon a time a zoomed reader at ${width}`);
            await page.setViewportSize({width, height});
            await page.getByTestId("menu-button").click();
            const list = page.locator("nav.conversations");
            expect((await list.boundingBox())!.height, "the chat list keeps its room").toBeGreaterThanOrEqual(60);
            const chat = page
                .getByTestId("conversation-item")
                .filter({hasText: `zoomed reader at ${width}`})
                .locator(".conversation-select");
            await chat.focus();
            expect(await onTop(chat), "the focused chat is not under the sidebar's foot").toBe(true);
            await page.screenshot({path: join(shots, `a11y-${width}x${height}-drawer.png`)});
        });

    test("320×640: the header fits, Settings included; the build notice is compact and can be dismissed", async ({page, server}) => {
        await page.setViewportSize({width: 320, height: 640});
        // As a server without the patched build (`npm run build:native` not run) says it.
        await page.route("**/v1/models", async (route) => {
            const response = await route.fetch();
            const body = (await response.json()) as {data: Array<{meta: Record<string, unknown>}>};
            for (const model of body.data)
                Object.assign(model.meta, {
                    kvshare_patched: false,
                    build_notice: "no KVShare-patched CPU build is installed: exact prefix reuse only (semantic KV sharing is off); run `npm run build:native`"
                });
            await route.fulfill({response, json: body});
        });
        await open(page, server.url);
        await expectFits(page, "settings-toggle");
        await expectFits(page, "menu-button");
        expect((await page.locator(".header-title").boundingBox())!.width, "the chat's title keeps a few letters").toBeGreaterThanOrEqual(40);
        // The connection's words are not drawn here, and still read (its dot a shape per state to the eye).
        expect(await style(page.locator(".health-label"), "display"), "the health label is there for screen readers").not.toBe("none");
        expect(await style(page.locator(".health-ok .health-dot"), "border-radius")).toBe("50%");
        // The build notice keeps to a few lines, and can be put away for the session.
        const notice = page.getByTestId("build-notice");
        await expect(notice).toBeVisible();
        await page.screenshot({path: join(shots, "a11y-320-build-notice.png")});
        // 110 px in its full size: what it says stays (it is what to run), in smaller type.
        expect((await notice.boundingBox())!.height, "the build notice is compact").toBeLessThanOrEqual(95);
        await notice.getByRole("button", {name: "Dismiss the build notice"}).click();
        await page.reload();
        await expect(page.getByTestId("health-indicator")).toHaveAttribute("data-status", "ok");
        await expect(page.getByTestId("model-select").locator("option")).not.toHaveCount(0);
        await expect(notice).toHaveCount(0);
    });
});

test.describe("accessibility: focus in view", () => {
    for (const [width, height] of [
        [1280, 800],
        [640, 400]
    ] as const)
        test(`${width}×${height}: tabbing through the admin settings, no focused field is under the Save bar`, async ({page, server}) => {
            await page.setViewportSize({width, height});
            await open(page, server.url);
            if (width < 760) await page.getByTestId("menu-button").click();
            await page.getByTestId("nav-admin").click();
            await expect(page.getByTestId("settings-save")).toBeVisible();
            await page.locator(".page-scroll").evaluate((el) => el.scrollTo(0, 0));
            await page.getByRole("heading", {name: "Admin settings"}).evaluate((el) => {
                el.setAttribute("tabindex", "-1");
                (el as HTMLElement).focus();
            });
            const hidden: string[] = [];
            let stops = 0;
            for (let i = 0; i < 80; i++) {
                await page.keyboard.press("Tab");
                const where = await page.evaluate(() => {
                    const el = document.activeElement;
                    const footer = document.querySelector(".admin-footer");
                    if (!el || !footer || !el.closest(".page-scroll")) return "outside";
                    if (footer.contains(el)) return "footer";
                    const [r, f] = [el.getBoundingClientRect(), footer.getBoundingClientRect()];
                    const under = r.bottom > f.top + 1 && r.top < f.bottom - 1;
                    return under ? `under: ${el.getAttribute("data-testid") ?? el.tagName}` : "shown";
                });
                if (where === "outside") break;
                stops++;
                if (where.startsWith("under")) hidden.push(where);
            }
            expect(stops, "the page was tabbed through").toBeGreaterThan(20);
            expect(hidden, "focused fields hidden by the Save bar").toEqual([]);
        });
});

/** A style of an element's, read in the page. */
const style = (locator: Locator, property: string): Promise<string> => locator.evaluate((el, name) => getComputedStyle(el).getPropertyValue(name), property);

/** Adds an element of these classes into the first element `selector` matches (to read what the stylesheet gives it). */
async function addProbe(page: Page, selector: string, className: string, text: string): Promise<Locator> {
    await page.evaluate(
        ([where, cls, words]) => {
            const probe = document.createElement("span");
            probe.className = cls!;
            probe.dataset.probe = cls;
            probe.textContent = words!;
            document.querySelector(where!)!.append(probe);
        },
        [selector, className, text]
    );
    return page.locator(`[data-probe="${className}"]`).last();
}

/**
 * A token row and the key to its marks, as "Show tokens" draws them, in the first answer's reuse strip (a miss, the
 * first answer on the test server, has no tokens to show).
 */
async function tokenRows(page: Page): Promise<void> {
    await page.evaluate(() => {
        const strip = document.querySelector(".hit-strip")!;
        strip.insertAdjacentHTML("beforeend", '<div class="hit-rows"><div class="tokens"></div><div class="hit-legend"></div></div>');
    });
}

const tokenKinds = ["reused", "recomputed", "new", "kept", "moved", "replaced", "unused"];

test.describe("accessibility: colours", () => {
    for (const colorScheme of ["light", "dark"] as const)
        test(`${colorScheme}: the reuse under an answer, its token key and the muted text are readable (4.5:1)`, async ({page, server}) => {
            await page.emulateMedia({colorScheme});
            await open(page, server.url);
            await answeredChat(page, `Once upon a time the colours were ${colorScheme}`);
            const strip = page.getByTestId("hit-strip").first();
            await tokenRows(page);
            const checks: Array<[string, Locator]> = [];
            for (const kind of ["donor", "prefix", "miss"])
                checks.push([`${kind} badge`, await addProbe(page, ".hit-summary", `hit-badge hit-badge-${kind}`, kind)]);
            checks.push(["similarity", await addProbe(page, ".hit-summary", "hit-similarity", "similarity 0.912")]);
            for (const kind of tokenKinds) checks.push([`${kind} in the key`, await addProbe(page, ".hit-legend", `tok tok-${kind}`, kind)]);
            checks.push(["replaced token", await addProbe(page, ".hit-strip .tokens", "tok tok-replaced", "word")]);
            checks.push(["unused token", await addProbe(page, ".hit-strip .tokens", "tok tok-unused", "word")]);
            checks.push(["an inactive page link", page.getByTestId("nav-dashboard")]);
            for (const [what, locator] of checks) expect(await textContrast(locator), what).toBeGreaterThanOrEqual(4.5);
            await strip.screenshot({path: join(shots, `a11y-${colorScheme}-hit-strip.png`)});

            await page.getByTestId("nav-admin").click();
            await expect(page.getByTestId("settings-save")).toBeVisible();
            expect(await textContrast(await addProbe(page, ".admin-footer", "saved", "Saved · in effect now")), "Saved").toBeGreaterThanOrEqual(4.5);
        });

    test("each token kind has a line style of its own, besides its colour", async ({page, server}) => {
        await open(page, server.url);
        await answeredChat(page, "Once upon a time the tokens had kinds");
        await tokenRows(page);
        const looks = new Set<string>();
        for (const kind of tokenKinds) {
            const probe = await addProbe(page, ".hit-legend", `tok tok-${kind}`, kind);
            looks.add(`${await style(probe, "text-decoration-line")} ${await style(probe, "text-decoration-style")}`);
        }
        // Kept and reused are one kind (KV reused in place), on the two rows.
        expect(looks.size, [...looks].join(" | ")).toBe(tokenKinds.length - 1);
    });

    test("forced colours: the current page and chat, the reuse meter, the health dot and the focus on a text field show", async ({page, server}) => {
        await open(page, server.url);
        await answeredChat(page, "Once upon a time in forced colours");
        await page.getByTestId("new-chat").click();
        await answeredChat(page, "Once upon a time in forced colours again");
        await page.emulateMedia({forcedColors: "active"});
        const background = (locator: Locator) => style(locator, "background-color");
        expect(await background(page.locator(".page-link.active")), "the current page").not.toBe(
            await background(page.locator(".page-link:not(.active)").first())
        );
        expect(await background(page.locator(".conversation.active")), "the open chat").not.toBe(
            await background(page.locator(".conversation:not(.active)").first())
        );
        // Against what they are drawn on (forced colours paint an opaque background the page's Canvas).
        expect(await background(page.locator(".hit-meter span").first()), "the reuse meter").not.toBe(await background(page.locator(".hit-meter").first()));
        expect(await background(page.locator(".health-dot")), "the health dot").not.toBe(await background(page.locator(".header")));
        const composer = page.locator(".composer");
        await page.getByTestId("composer-input").focus();
        expect(await style(composer, "outline-style")).toBe("solid");
        expect(await style(composer, "outline-width")).toBe("2px");
        await page.screenshot({path: join(shots, "a11y-forced-colors.png")});
    });

    test("a focused text field has a ring of 3:1 against the page", async ({page, server}) => {
        await open(page, server.url);
        await answeredChat(page, "Once upon a time a ring showed");
        for (const [field, ring] of [
            [page.getByTestId("composer-input"), page.locator(".composer")],
            [page.getByTestId("chat-search"), page.getByTestId("chat-search")]
        ] as const) {
            await field.focus();
            expect(await style(ring, "outline-width")).toBe("2px");
            const outline = await style(ring, "outline-color");
            // The ring's colour as text on the page's background: the contrast asked of a focus indicator is 3:1.
            await ring.evaluate((el, colour) => ((el as HTMLElement).style.color = colour), outline);
            expect(await textContrast(ring)).toBeGreaterThanOrEqual(3);
        }
    });
});

test("reduced motion: the caret and the answering dots do not blink", async ({page, server}) => {
    await open(page, server.url);
    const caret = await addProbe(page, ".composer-wrap", "caret", "");
    const dot = await addProbe(page, ".composer-wrap", "answering-dot", "");
    expect(await style(caret, "animation-name")).toBe("blink");
    await page.emulateMedia({reducedMotion: "reduce"});
    expect(await style(caret, "animation-name")).toBe("none");
    expect(await style(dot, "animation-name")).toBe("none");
});
