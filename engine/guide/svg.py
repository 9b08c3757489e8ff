"""The ladder as an inline SVG diagram: one band per Kwan level, one box per rung."""

from __future__ import annotations

from pmpath.guide.common import _kwan_label, h
from pmpath.model.knowledge import Knowledge, Level

#: fill of each Kwan band in the ladder diagram (cycled if there were more levels)
_BAND_FILLS = ("#eef1f4", "#e3f0fb", "#e4f5ea", "#fdf0dd", "#f1e8fa")
_BAND_STROKES = ("#9aa5b1", "#4a90c2", "#4caf7a", "#e39b3c", "#9c6ad0")


def ladder_svg(
    knowledge: Knowledge, *, place: tuple[str, str] | None = None, links: bool = True
) -> str:
    """The ladder as an inline SVG diagram: one rung per level, Kwan levels as bands.

    ``place`` marks a person on it: ``(level, possible)``, the rung they were placed
    on (filled, "you are here") and the highest rung not ruled out; the rungs
    above the first up to the second are drawn dashed ("possible"). ``links``
    makes each rung a link to its section of the guide (``#level-<id>``).
    """
    # Long on purpose: one drawing, band by band, box by box; its coordinates depend on each
    # other.
    k = knowledge
    levels = k.levels
    rung_h, rung_gap, top, bottom = 44, 14, 56, 24
    step_y = rung_h + rung_gap
    width = 760
    height = top + len(levels) * step_y - rung_gap + bottom
    band_x = 16
    rung_x, rung_w = 268, 400
    rail_left, rail_right = rung_x + 36, rung_x + rung_w - 36

    def y_of(index: int) -> int:  # lowest rung at the bottom
        return top + (len(levels) - 1 - index) * step_y

    here = possible_top = -1
    if place is not None:
        here = k.level_by_id[place[0]].index
        possible_top = k.level_by_id[place[1]].index

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        'aria-labelledby="ladder-svg-title ladder-svg-desc" font-family="system-ui, sans-serif">',
        '<title id="ladder-svg-title">The product manager ladder</title>',
        '<desc id="ladder-svg-desc">'
        + h(
            "Rungs from "
            + levels[0].title
            + " at the bottom to "
            + levels[-1].title
            + " at the top, grouped into Kwan levels: "
            + "; ".join(f"{lv.title}: {_kwan_label(lv)}" for lv in levels)
        )
        + "</desc>",
        f'<text x="{band_x}" y="28" font-size="14" font-weight="600" fill="#52606d">'
        "Kwan level</text>",
        f'<text x="{rung_x}" y="28" font-size="14" font-weight="600" fill="#52606d">'
        "Rung (lowest at the bottom)</text>",
    ]
    # Kwan bands: one per run of consecutive rungs at the same Kwan level
    runs: list[list[Level]] = []
    for lv in levels:
        if runs and runs[-1][-1].kwan_level == lv.kwan_level:
            runs[-1].append(lv)
        else:
            runs.append([lv])
    for run in runs:
        n = run[0].kwan_level
        fill = _BAND_FILLS[n % len(_BAND_FILLS)]
        stroke = _BAND_STROKES[n % len(_BAND_STROKES)]
        y0 = y_of(run[-1].index) - rung_gap // 2
        y1 = y_of(run[0].index) + rung_h + rung_gap // 2
        entry = k.kwan.get(n, {})
        parts.append(
            f'<g class="kwan-band"><rect x="{band_x}" y="{y0}" width="{width - 2 * band_x}" '
            f'height="{y1 - y0}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1"/>'
        )
        mid = (y0 + y1) // 2
        parts.append(
            f'<text x="{band_x + 14}" y="{mid - 4}" font-size="15" font-weight="700" '
            f'fill="#1f2933">Kwan {n}</text>'
        )
        label = run[0].kwan_name or "?"
        if entry and not entry.get("in_hierarchy", True):
            label += " (not yet in product)"
        parts.append(
            f'<text x="{band_x + 14}" y="{mid + 14}" font-size="13" fill="#3e4c59">'
            f"{h(label)}</text></g>"
        )
    # rails behind the rungs
    rail_top, rail_bottom = y_of(len(levels) - 1) - 10, y_of(0) + rung_h + 10
    for x in (rail_left, rail_right):
        parts.append(
            f'<line x1="{x}" y1="{rail_top}" x2="{x}" y2="{rail_bottom}" '
            'stroke="#7b8794" stroke-width="6" stroke-linecap="round"/>'
        )
    # rungs
    for lv in levels:
        y = y_of(lv.index)
        n = len(lv.requirements)
        reqs = "no requirements" if n == 0 else f"{n} requirement{'s' * (n != 1)}"
        mark, fill, stroke, dash, ink = "", "#ffffff", "#3e4c59", "", "#1f2933"
        if lv.index == here:
            mark, fill, stroke, ink = "you are here", "#1f6feb", "#0b3d91", "#ffffff"
        elif here < lv.index <= possible_top:
            mark, fill, stroke, dash = "possible", "#fff8e1", "#b7791f", ' stroke-dasharray="6 4"'
        status = f"; {mark}" if mark else ""
        sub_ink = "#ffffff" if lv.index == here else "#52606d"
        rung = (
            f'<g class="rung{" rung-" + mark.split()[-1] if mark else ""}">'
            f"<title>{h(lv.title)}: {h(_kwan_label(lv))}; {reqs}{h(status)}</title>"
            f'<rect x="{rung_x}" y="{y}" width="{rung_w}" height="{rung_h}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>'
            f'<text x="{rung_x + rung_w // 2}" y="{y + 19}" font-size="15" font-weight="600" '
            f'text-anchor="middle" fill="{ink}">{h(lv.title)}</text>'
            f'<text x="{rung_x + rung_w // 2}" y="{y + 36}" font-size="12" '
            f'text-anchor="middle" fill="{sub_ink}">{h(lv.id)} · {reqs}'
            f"{' · ' + mark if mark else ''}</text>"
            "</g>"
        )
        parts.append(f'<a href="#level-{h(lv.id)}">{rung}</a>' if links else rung)
    # an arrow: higher rungs carry riskier decisions (Kwan)
    ax = rung_x + rung_w + 40
    parts.append(
        f'<line x1="{ax}" y1="{rail_bottom}" x2="{ax}" y2="{rail_top + 12}" '
        'stroke="#52606d" stroke-width="2"/>'
        f'<polygon points="{ax - 6},{rail_top + 14} {ax + 6},{rail_top + 14} {ax},{rail_top}" '
        'fill="#52606d"/>'
        f'<text x="{ax + 12}" y="{(rail_top + rail_bottom) // 2}" font-size="12" fill="#52606d" '
        f'transform="rotate(-90 {ax + 12} {(rail_top + rail_bottom) // 2})" '
        'text-anchor="middle">more risk per decision</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)
