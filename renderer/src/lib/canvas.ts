let supported: boolean | undefined;

/**
 * Whether this page can draw charts (a 2D canvas context). Without one (a DOM without canvas, such as
 * the unit tests' happy-dom) the panels show their numbers and skip the drawing.
 */
export function canDrawCharts(): boolean {
    if (supported == null) {
        try {
            supported = typeof document !== "undefined" && document.createElement("canvas").getContext("2d") != null;
        } catch {
            supported = false;
        }
    }
    return supported;
}
