/** Office theme → Fluent theme: dark when Office's body background is dark. */

/** Relative luminance (WCAG) of a #rrggbb / #rgb colour; null when it cannot be parsed. */
export function luminance(color: string | null | undefined): number | null {
  if (!color) return null;
  let hex = color.trim().replace(/^#/, "");
  if (/^[0-9a-f]{3}$/i.test(hex))
    hex = hex
      .split("")
      .map((c) => c + c)
      .join("");
  if (!/^[0-9a-f]{6}$/i.test(hex)) return null;
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
}

export type ThemeKind = "light" | "dark";

export function themeKindFor(bodyBackgroundColor: string | null | undefined): ThemeKind {
  const l = luminance(bodyBackgroundColor);
  return l !== null && l < 0.4 ? "dark" : "light";
}

/**
 * Reads Office.context.officeTheme when the host provides it (not every host does); without it,
 * the system's light/dark preference.
 */
export function officeThemeKind(): ThemeKind {
  try {
    const color = typeof Office !== "undefined" ? Office.context?.officeTheme?.bodyBackgroundColor : null;
    if (luminance(color) !== null) return themeKindFor(color);
  } catch {
    /* no Office context */
  }
  return typeof window !== "undefined" && window.matchMedia?.("(prefers-color-scheme: dark)").matches
    ? "dark"
    : "light";
}
