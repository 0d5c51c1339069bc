"""WCAG AA text contrast of a rendered element, from computed styles.

For every visible element under `root` that holds text of its own, the text colour (with its
alpha and the opacity of its ancestors) is composited over the element's effective
background (the background colours from it up to the first opaque one, composited in order),
and the contrast ratio is computed as WCAG 2 defines it. Text must reach 4.5:1, large text
(24 px, or 18.66 px bold) 3:1; disabled controls are exempt, as WCAG says. (axe-core's
color-contrast rule skips nearly every text node inside JupyterLab's panels, so it could not
be the check here.)
"""

from __future__ import annotations

from typing import Any

__all__ = ["contrast_failures"]

CHECK = r"""
(root) => {
  const parse = (text) => {
    let m = text.match(/rgba?\(([^)]+)\)/);
    if (m) {
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0] / 255, p[1] / 255, p[2] / 255, p.length > 3 ? p[3] : 1];
    }
    m = text.match(/color\(srgb ([^)]+)\)/);
    if (m) {
      const p = m[1].split(/[ /]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    }
    return null;
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3]));
  const lum = (c) => {
    const f = (v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement || node.getRootNode().host) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c[3] > 0) {
        layers.push(c);
        if (c[3] >= 1) break;
      }
    }
    let color = [1, 1, 1];
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const opacity = (el) => {
    let o = 1;
    for (let node = el; node; node = node.parentElement || node.getRootNode().host) {
      o *= Number(getComputedStyle(node).opacity);
    }
    return o;
  };
  const failures = [];
  let checked = 0;
  for (const el of [root, ...root.querySelectorAll("*")]) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== "visible" || el.closest("[hidden]")) continue;
    if (el.closest("button:disabled, [aria-disabled='true']")) continue;
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = background(el);
    const text = over([fg[0], fg[1], fg[2], fg[3] * opacity(el)], bg);
    const [a, b] = [lum(text), lum(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    checked += 1;
    if (ratio < (large ? 3 : 4.5)) {
      failures.push({text: el.textContent.trim().slice(0, 40), ratio: Math.round(ratio * 100) / 100,
                     color: style.color, cls: el.className || el.tagName});
    }
  }
  return {checked, failures};
}
"""


def contrast_failures(page: Any, root: Any, at_least: int = 20) -> list[dict[str, Any]]:
    """The texts under `root` below WCAG AA (after checking at least `at_least` of them)."""
    result = page.evaluate(CHECK, root.element_handle())
    assert result["checked"] >= at_least, result  # it really looked at the studio's text
    return list(result["failures"])
