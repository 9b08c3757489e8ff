"""Inline SVG for the HTML diff report: the transition matrix and fit histograms."""

from __future__ import annotations

from html import escape
from typing import Any

from pmpath.diff.markdown import _value, _visible


def matrix_svg(t: dict) -> str:
    """A transition matrix as a heat map: rows from, columns to, counts in the cells."""
    values = [_value(v) for v in t["values"]]
    counts = {(_value(c["from"]), _value(c["to"])): c["count"] for c in t["cells"]}
    top = max(counts.values(), default=1)
    cell, label = 56, 96
    width = label + cell * len(values) + 8
    height = label + cell * len(values) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="transition matrix" '
        'font-family="system-ui, sans-serif" font-size="11">'
    ]
    for i, v in enumerate(values):
        x = label + i * cell + cell // 2
        out.append(
            f'<text x="{x}" y="{label - 8}" text-anchor="end" '
            f'transform="rotate(-45 {x} {label - 8})">{_h(v)}</text>'
        )
        y = label + i * cell + cell // 2 + 4
        out.append(f'<text x="{label - 6}" y="{y}" text-anchor="end">{_h(v)}</text>')
    for r, a in enumerate(values):
        for c, b in enumerate(values):
            n = counts.get((a, b), 0)
            x, y = label + c * cell, label + r * cell
            if n:
                strength = 0.15 + 0.85 * (n / top) ** 0.5
                fill = "#9aa5b1" if a == b else "#2f5d8a"
                style = f'fill="{fill}" fill-opacity="{strength:.3f}"'
            else:
                style = 'fill="#ffffff"'
            out.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" {style} stroke="#d9e2ec"/>'
            )
            if n:
                out.append(
                    f'<text x="{x + cell // 2}" y="{y + cell // 2 + 4}" '
                    f'text-anchor="middle">{n:,}</text>'
                )
    out.append("</svg>")
    return "".join(out)


def histogram_svg(h: dict) -> str:
    """Base and new fit-score histograms side by side, one pair of bars per bin."""
    bins, base, new = h["bins"], h["base"], h["new"]
    top = max([*base, *new, 1])
    bar, gap, plot = 14, 10, 160
    width = 40 + len(bins) * (2 * bar + gap)
    height = plot + 50
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="fit score histogram" '
        'font-family="system-ui, sans-serif" font-size="10">'
    ]
    for i, label in enumerate(bins):
        x = 30 + i * (2 * bar + gap)
        for j, (values, fill) in enumerate(((base, "#9aa5b1"), (new, "#2f5d8a"))):
            hgt = round(plot * values[i] / top)
            out.append(
                f'<rect x="{x + j * bar}" y="{10 + plot - hgt}" width="{bar}" '
                f'height="{hgt}" fill="{fill}"/>'
            )
        out.append(f'<text x="{x + bar}" y="{plot + 26}" text-anchor="middle">{_h(label)}</text>')
    out.append(
        f'<line x1="28" y1="{10 + plot}" x2="{width - 4}" y2="{10 + plot}" stroke="#52606d"/>'
    )
    out.append("</svg>")
    return "".join(out)


def _h(text: Any) -> str:
    return escape(_visible(text), quote=True)
