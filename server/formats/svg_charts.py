"""Horizontal bar charts as SVG, drawn on the server for pages and their printouts.

A chart is accessible markup: ``role="img"`` with a ``<title>`` (the question) and a
``<desc>`` (every bar's label and figures), and each bar's label and figures as text
beside it. Widths are in percent of the chart's width and texts in pixels, so a chart
fills a phone's screen or a printed page and its words stay readable; long labels wrap
onto a few lines. Every text is escaped here: the result is `Markup`, the one piece of
markup a template may insert as it is.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_AREA = 74.0  # percent of the width the longest possible bar (100 %) takes
LINE = 18  # pixels per line of label
BAR = 14
GAP = 12
WRAP = 44  # characters per label line
MAX_LINES = 3


@dataclass(frozen=True)
class Bar:
    label: str
    share: float  # 0 to 1: the bar's length
    figures: str  # what the bar stands for, written out ("12 · 40 %")


def bar_chart(bars: Sequence[Bar], *, title: str, chart_id: str) -> Markup:
    """An SVG chart of ``bars``; ``chart_id`` makes its ids unique in the page."""
    rows: list[str] = []
    y = 0
    for bar in bars:
        lines = _lines(bar.label)
        text_y = y + LINE - 4
        tspans = "".join(
            f'<tspan x="0" y="{text_y + i * LINE}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        bar_y = y + len(lines) * LINE + 2
        width = max(0.0, min(1.0, bar.share)) * BAR_AREA
        rows.append(
            '<g class="chart-row">'
            f'<text class="chart-label">{tspans}</text>'
            f'<rect class="chart-track" x="0" y="{bar_y}" width="{BAR_AREA:g}%" height="{BAR}"/>'
            f'<rect class="chart-bar" x="0" y="{bar_y}" width="{width:.2f}%" height="{BAR}"/>'
            f'<text class="chart-figures" x="100%" y="{bar_y + BAR - 2}" text-anchor="end">'
            f"{escape(bar.figures)}</text>"
            "</g>"
        )
        y = bar_y + BAR + GAP
    height = max(y - GAP + 2, 1)
    description = "; ".join(f"{bar.label}: {bar.figures}" for bar in bars)
    ident = escape(chart_id)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="100%" height="{height}"'
        f' role="img" aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>' + "".join(rows) + "</svg>"
    )


def _lines(label: str) -> list[str]:
    lines = textwrap.wrap(" ".join(label.split()), WRAP, break_long_words=True) or [""]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1][: WRAP - 1].rstrip() + "…"
    return lines
