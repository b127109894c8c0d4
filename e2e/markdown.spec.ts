import {join} from "node:path";
import {expect, test} from "./fixtures.js";
import {edgeShades, expectFits, lineCount, textContrast} from "./layoutChecks.js";
import {repoRoot} from "./server.js";

/** A canned SSE answer, so markdown rendering and sanitizing are checked in a real Chromium. */
function sseBody(text: string): string {
    const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({id: "c", object: "chat.completion.chunk", created: 1, model: "m", system_fingerprint: "f", choices: [{index: 0, delta, finish_reason: finish, logprobs: null}]})}\n\n`;
    const pieces = text.match(/[\s\S]{1,12}/g) ?? [];
    return (
        pieces.map((p) => chunk({content: p}, null)).join("") +
        chunk({}, "stop") +
        `data: ${JSON.stringify({id: "c", object: "chat.completion.chunk", created: 1, model: "m", system_fingerprint: "f", choices: [], usage: {prompt_tokens: 5, completion_tokens: 9, total_tokens: 14, prompt_tokens_details: {cached_tokens: 2}}})}\n\n` +
        "data: [DONE]\n\n"
    );
}

const answer = [
    "# Title",
    "Some **bold** text and `inline code`.",
    "",
    "```ts",
    "const x: number = 1;",
    "```",
    "",
    '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">',
    "[bad](javascript:window.__pwned=3) [good](https://example.com)",
    "",
    // A model's own <math> is its text too (formulas are written in TeX): no link rides on it.
    '<math><mtext href="https://evil.example/">click</mtext><mi xlink:href="https://evil.example/">x</mi></math>',
    "",
    "Wrap it in a <div> element. Water is H<sub>2</sub>O."
].join("\n");

/** The server's answer to a prompt longer than the context (OpenAI-style error JSON). */
const tooLong = "the prompt is longer than the context";
const contextError = {
    status: 400,
    contentType: "application/json",
    body: JSON.stringify({error: {message: tooLong, type: "exceed_context_size_error", param: null, code: null}})
};

test("renders answers as sanitized markdown", async ({page, server}) => {
    await page.route("**/v1/chat/completions", (route) => route.fulfill({status: 200, headers: {"content-type": "text/event-stream"}, body: sseBody(answer)}));
    await page.goto(server.url);
    await page.getByTestId("composer-input").fill("show me markdown");
    await page.getByTestId("send-button").click();

    const message = page.getByTestId("message-assistant");
    await expect(message.getByTestId("answer-stats")).toContainText("2 cached");
    await expect(message.locator("h1")).toHaveText("Title");
    await expect(message.locator("strong")).toHaveText("bold");
    await expect(message.locator("pre code.language-ts")).toHaveText("const x: number = 1;");
    await expect(message.locator("script")).toHaveCount(0);
    await expect(message.locator("[onerror]")).toHaveCount(0);
    await expect(message.locator('a[href^="javascript"]')).toHaveCount(0);
    // Raw HTML is shown as the text the model wrote; formatting tags alone are kept.
    await expect(message.locator("mtext")).toHaveCount(0);
    await expect(message).toContainText('<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">');
    await expect(message).toContainText("Wrap it in a <div> element. Water is H2O.");
    await expect(message.locator("sub")).toHaveText("2");
    await expect(message.locator("img")).toHaveCount(0);
    expect(
        await message.evaluate(
            (el) => [...el.querySelectorAll("*")].filter((e) => e.tagName !== "A" && (e.hasAttribute("href") || e.hasAttribute("xlink:href"))).length
        )
    ).toBe(0);
    await expect(message.locator('a[href="https://example.com"]')).toHaveAttribute("rel", "noopener noreferrer");
    expect(await page.evaluate(() => (window as unknown as {__pwned?: number}).__pwned)).toBeUndefined();
});

test("keeps task lists' ticks, and copies a code block with its button", async ({page, server, context}) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    const tasks = [
        "```sh",
        "npm test",
        "```",
        "",
        "- [ ] write the story",
        "- [x] name the fox",
        "",
        '<input type="text" value="typed"> <input type="checkbox">'
    ].join("\n");
    await page.route("**/v1/chat/completions", (route) => route.fulfill({status: 200, headers: {"content-type": "text/event-stream"}, body: sseBody(tasks)}));
    await page.goto(server.url);
    await page.getByTestId("composer-input").fill("a task list");
    await page.getByTestId("composer-input").press("Enter");

    const message = page.getByTestId("message-assistant");
    await expect(message.getByTestId("answer-stats")).toBeVisible();
    const boxes = message.locator("li input");
    await expect(boxes).toHaveCount(2);
    // The model's own <input>s are its text: only the task list's ticks are fields.
    await expect(message.locator("input")).toHaveCount(2);
    await expect(message).toContainText('<input type="text" value="typed"> <input type="checkbox">');
    await expect(boxes.nth(0)).not.toBeChecked();
    await expect(boxes.nth(1)).toBeChecked();
    await expect(boxes.nth(0)).toBeDisabled();
    await expect(boxes.nth(1)).toBeDisabled();
    // A tick is kept only as a disabled record.
    await expect(message.locator('input[type="text"]')).toHaveCount(0);
    await expect(message.locator("input:not([disabled])")).toHaveCount(0);

    const copyCode = message.locator("button.code-copy");
    await expect(copyCode).toHaveAccessibleName("Copy code");
    await copyCode.click();
    await expect(copyCode).toHaveText("Copied");
    // Its name follows its words, and the page says it (a focused button's new name is not read by every screen reader).
    await expect(copyCode).toHaveAccessibleName("Copied");
    await expect(page.getByRole("status").filter({hasText: "Copied"})).toHaveText("Copied");
    await expect(copyCode).toBeFocused();
    // The code as written, without the line break that ends every block.
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("npm test");
});

test("shows the server's error message", async ({page, server}) => {
    await page.route("**/v1/chat/completions", (route) => route.fulfill(contextError));
    await page.goto(server.url);
    await page.getByTestId("composer-input").fill("too long");
    await page.getByTestId("composer-input").press("Enter");
    await expect(page.getByTestId("answer-error")).toHaveText(tooLong);
    await expect(page.getByTestId("send-button")).toBeVisible();
});

test("an answer that comes while the chat list is still loading stays, and is saved", async ({page, server}) => {
    // The order that once lost it: the question is saved, the list is read (question only), the answer comes,
    // then the list arrives.
    const signal = () => {
        let fire!: () => void;
        const fired = new Promise<void>((resolve) => (fire = resolve));
        return {fire, fired};
    };
    const questionSaved = signal();
    const listRead = signal();
    const answerShown = signal();
    const listDelivered = signal();
    let held = false;
    await page.route("**/kvshare/conversations**", async (route) => {
        const method = route.request().method();
        if (method === "PUT") {
            await route.fulfill({response: await route.fetch()});
            questionSaved.fire();
        } else if (method === "GET" && !held) {
            held = true;
            await questionSaved.fired;
            const response = await route.fetch();
            listRead.fire();
            await answerShown.fired;
            await route.fulfill({response});
            listDelivered.fire();
        } else await route.fallback();
    });
    await page.route("**/v1/chat/completions", async (route) => {
        await listRead.fired;
        await route.fulfill(contextError);
    });
    await page.goto(server.url);
    await page.getByTestId("composer-input").fill("asked while loading");
    await page.getByTestId("composer-input").press("Enter");
    await expect(page.getByTestId("answer-error")).toHaveText(tooLong);
    answerShown.fire();
    await listDelivered.fired;
    await expect(page.getByTestId("answer-error")).toHaveText(tooLong);
    // From the server alone after a reload (this browser's copy of the chats dropped; the API key kept).
    await page.evaluate(() => localStorage.removeItem("kvshare.conversations"));
    await page.reload();
    await page.getByRole("button", {name: "asked while loading", exact: true}).click();
    await expect(page.getByTestId("answer-error")).toHaveText(tooLong);
});

/** A table wider than a phone, a long link, a code block and Hebrew beside English. */
const wideAnswer = [
    "The doses, from https://example.com/a/very/long/path/that/does/not/break/anywhere/because/it/is/one/single/token/of/text",
    "",
    "| Name | Dose (mg) | Frequency | Route | Notes |",
    "|------|----------:|-----------|-------|-------|",
    "| Amoxicillin | 250 | every 8 hours | oral | take with food; finish the whole course |",
    "| Paracetamol | 1000 | every 6 hours | oral | at most 4000 mg a day |",
    "",
    "```python",
    'print("the first line of code")',
    "```",
    "",
    "שלום עולם, זה טקסט בעברית עם המספר 250.",
    "",
    "The end."
].join("\n");

for (const width of [375, 1280]) {
    test(`${width} px: a table keeps its words and numbers whole and scrolls in its own box; code and Hebrew are laid out for reading`, async ({
        page,
        server
    }) => {
        await page.setViewportSize({width, height: 800});
        await page.route("**/v1/chat/completions", (route) =>
            route.fulfill({status: 200, headers: {"content-type": "text/event-stream"}, body: sseBody(wideAnswer)})
        );
        await page.goto(server.url);
        await page.getByTestId("composer-input").fill("שלום! the doses, please");
        await page.getByTestId("composer-input").press("Enter");
        const message = page.getByTestId("message-assistant");
        await expect(message.getByTestId("answer-stats")).toBeVisible();

        // Nothing widens the page: not the table, not the long link (which wraps inside the answer).
        await expectFits(page, "message-assistant");
        const link = message.locator("a").first();
        expect((await link.boundingBox())!.x + (await link.boundingBox())!.width).toBeLessThanOrEqual(width);
        for (const text of ["Name", "Amoxicillin", "Paracetamol", "250", "1000"])
            expect(await lineCount(message.locator("th, td").filter({hasText: new RegExp(`^${text}$`)})), `"${text}" on one line`).toBe(1);

        // The table scrolls sideways in a box of its own, named, which the keyboard scrolls.
        const box = message.getByRole("region", {name: "Table: Name, Dose (mg), Frequency, Route, Notes"});
        const [scrollWidth, clientWidth] = await box.evaluate((el) => [el.scrollWidth, el.clientWidth]);
        if (width === 375) {
            expect(scrollWidth, "the table is wider than the answer").toBeGreaterThan(clientWidth);
            await box.focus();
            await page.keyboard.press("ArrowRight");
            await expect.poll(() => box.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
        } else expect(scrollWidth, "a table that fits does not scroll").toBe(clientWidth);

        // The code block's Copy is on a bar above the code, not over its first line.
        const copy = (await message.getByRole("button", {name: "Copy code"}).boundingBox())!;
        const code = (await message.locator("pre code").boundingBox())!;
        expect(copy.y + copy.height, "Copy ends above the code").toBeLessThanOrEqual(code.y);
        await expect(message.locator(".code-language")).toHaveText("python");

        // Hebrew runs right to left, English beside it left to right; the question too.
        const direction = (locator: ReturnType<typeof page.locator>) => locator.evaluate((el) => getComputedStyle(el).direction);
        expect(await direction(message.locator("p", {hasText: "שלום עולם"}))).toBe("rtl");
        expect(await direction(message.locator("p", {hasText: "The end."}))).toBe("ltr");
        expect(await direction(page.getByTestId("message-user"))).toBe("rtl");
        await page.getByTestId("composer-input").fill("مرحبا بالعالم");
        expect(await direction(page.getByTestId("composer-input"))).toBe("rtl");
        await page.screenshot({path: join(repoRoot, `e2e/screenshots/markdown-wide-${width}.png`)});
    });
}

/** Code in a language the app colours, formulas inline and displayed, a formula too wide for a phone, and prices. */
const mathAndCode = [
    "```python",
    "def dose(weight_kg):  # mg per day",
    '    return 15 * weight_kg, "oral"',
    "```",
    "",
    "The dose is $d = 15\\,w$ mg, and \\(x^2\\) too.",
    "",
    "$$",
    "\\frac{a + b}{c} = \\sum_{i=1}^{n} i",
    "$$",
    "",
    "$$a_1 + a_2 + a_3 + a_4 + a_5 + a_6 + a_7 + a_8 + a_9 + a_{10} + a_{11} + a_{12} + a_{13} + a_{14} + a_{15} + a_{16}$$",
    "",
    "It costs $5 and $10, or $5-$10 a day.",
    "",
    "$$\\begin{aligned} f(x) &= x^2+2x+1 \\\\ &= (x+1)^2 \\end{aligned}$$",
    "",
    "for all $x \\in \\mathbb{R}$, and $y = -2 - x$."
].join("\n");

for (const colorScheme of ["light", "dark"] as const) {
    test(`${colorScheme}: code is coloured by language and formulas are laid out as math, in a phone's width`, async ({page, server}) => {
        await page.emulateMedia({colorScheme});
        await page.setViewportSize({width: 375, height: 800});
        await page.route("**/v1/chat/completions", (route) =>
            route.fulfill({status: 200, headers: {"content-type": "text/event-stream"}, body: sseBody(mathAndCode)})
        );
        await page.goto(server.url);
        await page.getByTestId("composer-input").fill("math and code, please");
        await page.getByTestId("composer-input").press("Enter");
        const message = page.getByTestId("message-assistant");
        await expect(message.getByTestId("answer-stats")).toBeVisible();

        // Keywords, strings and comments each have a colour of their own, none the text's, readable on the code's
        // background; the code copies as it was written.
        const colour = (selector: string) =>
            message
                .locator(selector)
                .first()
                .evaluate((el) => getComputedStyle(el).color);
        const colours = [await colour("pre code"), await colour(".hljs-keyword"), await colour(".hljs-string"), await colour(".hljs-comment")];
        expect(new Set(colours).size, colours.join(" ")).toBe(4);
        const contrast = await textContrast(message.locator(".hljs-comment").first());
        expect(contrast, "comment colour on the code's background").toBeGreaterThanOrEqual(4.5);

        // Formulas are MathML the browser lays out: a fraction stands taller than a line, the displayed one sits on a
        // line of its own, the TeX source is not shown beside them, and prices stay text.
        await expect(message.locator("math")).toHaveCount(7);
        const fraction = (await message.locator("mfrac").boundingBox())!;
        const inline = (await message.locator("math").first().boundingBox())!;
        expect(fraction.height, "the fraction's two lines").toBeGreaterThan(inline.height * 1.5);
        await expect(message.locator('math[display="block"]')).toHaveCount(3);
        // Aligned equations line up at their "=" (KaTeX's column alignment, which MathML Core ignores, is the style's),
        // and \mathbb{R} is ℝ, not an italic R.
        const equals = await message.locator("mtable mo", {hasText: "="}).evaluateAll((signs) => signs.map((s) => Math.round(s.getBoundingClientRect().x)));
        expect(equals).toHaveLength(2);
        expect(Math.abs(equals[0]! - equals[1]!), `the "=" at ${equals.join(" and ")}`).toBeLessThanOrEqual(1);
        await expect(message.locator("mi", {hasText: "ℝ"})).toHaveCount(1);
        // A sign sits against what it signs, a subtraction has room on both sides: "y = −2 − x", not "y = − 2 − x".
        const [sign, two, minus, x] = await message
            .locator("math")
            .last()
            .locator("mo, mn, mi")
            .evaluateAll((nodes) => nodes.slice(2).map((n) => n.getBoundingClientRect()));
        expect(two!.left - sign!.right, "between the sign and 2").toBeLessThan(1);
        expect(minus!.left - two!.right, "before the subtraction").toBeGreaterThan(2);
        expect(x!.left - minus!.right, "after the subtraction").toBeGreaterThan(2);
        await expect(message).not.toContainText("\\frac");
        await expect(message).toContainText("It costs $5 and $10, or $5-$10 a day.");
        // The formula wider than the phone scrolls in its own box; the page does not.
        await expectFits(page, "message-assistant");
        const wide = message.locator('math[display="block"]').nth(1);
        const [scrollWidth, clientWidth] = await wide.evaluate((el) => [el.scrollWidth, el.clientWidth]);
        expect(scrollWidth, "the long sum is wider than the answer").toBeGreaterThan(clientWidth);
        // A shade at an edge says there is more of it that way (a phone shows no scroll bar): at the right edge first,
        // at the left one once scrolled to its end.
        const fits = await edgeShades(message.locator('math[display="block"]').first());
        expect(Math.max(fits.left, fits.right), "a formula that fits has no shade").toBeLessThan(4);
        const start = await edgeShades(wide);
        expect(start.right, "the right edge's shade").toBeGreaterThan(12);
        expect(start.left, "no shade at the left edge").toBeLessThan(4);
        await wide.evaluate((el) => el.scrollBy(el.scrollWidth, 0));
        const end = await edgeShades(wide);
        expect([end.left > 12, end.right < 4], `edges once scrolled: ${JSON.stringify(end)}`).toEqual([true, true]);
        await page.screenshot({path: join(repoRoot, `e2e/screenshots/markdown-math-code-${colorScheme}.png`)});
    });
}
