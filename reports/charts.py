"""Charts drawn on the server as inline SVG: no script, no font and nothing else loaded from the internet.

A series over days is a line chart; a series over anything else (stores, coupon templates, classes) is a bar
chart. Labels are escaped (a template's name is the merchant's text); the SVG scales to its container's width.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from loyalty.reports import ChartSeries

COLOURS = ("#417690", "#c0392b", "#27ae60", "#e67e22", "#8e44ad", "#7f8c8d")
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 48


def _number(value: Decimal | int) -> float:
    return float(value)


def _tick(value: float) -> str:
    if value >= 10000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _label(x) -> str:
    return x.strftime("%m-%d") if isinstance(x, datetime.date) else str(x)


def svg_chart(series: Sequence[ChartSeries], *, title: str = "", element_id: str = "report-chart",
              days: tuple[datetime.date, datetime.date] | None = None) -> SafeString:
    """The series as one SVG: a line per series over days (every day of `days`, a missing one as zero), grouped
    bars otherwise. Empty series draw nothing."""
    series = [s for s in series if s.points]
    if not series:
        return mark_safe("")
    xs = list(dict.fromkeys(x for s in series for x, _ in s.points))
    over_days = all(isinstance(x, datetime.date) for x in xs)
    if over_days:
        if days is not None:
            xs = [days[0] + datetime.timedelta(days=n) for n in range((days[1] - days[0]).days + 1)]
        xs.sort()
    peak = max([_number(v) for s in series for _, v in s.points] + [1.0])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [f'<svg id="{escape(element_id)}" class="report-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet" '
             f'style="width:100%;max-width:{WIDTH}px;height:auto">']
    for step in range(5):
        value = peak * step / 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#666">'
                     f'{_tick(value)}</text>')
    every = max(1, len(xs) // 8)
    if over_days:
        gap = plot_w / max(len(xs) - 1, 1)
        position = {x: LEFT + i * gap for i, x in enumerate(xs)}
        for i, x in enumerate(xs):
            if i % every == 0 and len(xs) - 1 - i >= every // 2 or i == len(xs) - 1:
                parts.append(f'<text x="{position[x]:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" '
                             f'text-anchor="middle" fill="#666">{escape(_label(x))}</text>')
        for n, s in enumerate(series):
            values = dict(s.points)
            coords = " ".join(f"{position[x]:.1f},{TOP + plot_h - plot_h * _number(values.get(x, 0)) / peak:.1f}"
                              for x in xs)
            parts.append(f'<polyline class="series" fill="none" stroke="{COLOURS[n % len(COLOURS)]}" '
                         f'stroke-width="2" points="{coords}"><title>{escape(s.label)}</title></polyline>')
            if len(xs) <= 62:  # a dot per day while they are far enough apart to see (one day: only the dot)
                parts.extend(f'<circle cx="{point.split(",")[0]}" cy="{point.split(",")[1]}" r="2.5" '
                             f'fill="{COLOURS[n % len(COLOURS)]}"/>' for point in coords.split())
    else:
        slot = plot_w / len(xs)
        bar = slot * 0.8 / len(series)
        for i, x in enumerate(xs):
            centre = LEFT + slot * (i + 0.5)
            name = _label(x)
            parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" text-anchor="middle" '
                         f'fill="#666">{escape(name[:10])}</text>')
        for n, s in enumerate(series):
            values = dict(s.points)
            for i, x in enumerate(xs):
                value = _number(values.get(x, 0))
                h = plot_h * value / peak
                left = LEFT + slot * i + slot * 0.1 + bar * n
                parts.append(f'<rect class="series" x="{left:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                             f'height="{h:.1f}" fill="{COLOURS[n % len(COLOURS)]}"><title>{escape(s.label)} · '
                             f'{escape(_label(x))}: {escape(str(values.get(x, 0)))}</title></rect>')
    legend_x = LEFT
    for n, s in enumerate(series):
        parts.append(f'<rect x="{legend_x}" y="{HEIGHT - 16}" width="10" height="10" '
                     f'fill="{COLOURS[n % len(COLOURS)]}"/><text x="{legend_x + 14}" y="{HEIGHT - 7}" '
                     f'font-size="11" fill="#333">{escape(s.label)}</text>')
        legend_x += 24 + 7 * len(s.label) + (7 * sum(ord(c) > 0x2E80 for c in s.label))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it went through escape()
