"""The review's weekly chart, drawn on the server as SVG by matplotlib (no browser, no
JavaScript): tickets filed per week as bars, first-response compliance per week as a line, the
colours of the dashboard's chart.

matplotlib's object API (``Figure``, no ``pyplot``) keeps no global state, so workers and web
threads can draw at once. Text is drawn as paths, so the SVG needs no font where it is shown,
and the output is the same bytes for the same figures (fixed ids, no date).
"""

import io
import math
from typing import Any

BAR = "#6d9ef0"
LINE = "#0b6b4f"
INK = "#1d2430"
MUTED = "#5b6472"
GRID = "#dfe3e8"

_STYLE: dict[str, Any] = {
    "svg.fonttype": "path",
    "svg.hashsalt": "service-review",
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
}


def weekly_chart_svg(weekly: list[dict[str, Any]], *, ticks: list[str], filed_label: str,
                     compliance_label: str) -> str:
    """``weekly`` as ``tickets.metrics.weekly_trend`` gives it; ``ticks`` label each week. The
    labels come translated from the caller. A week with nothing responded leaves a gap in the
    line rather than a false 0 %."""
    # Imported when a review is drawn, not when the web process starts.
    import matplotlib as mpl
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with mpl.rc_context(_STYLE):  # type: ignore[arg-type]
        figure = Figure(figsize=(7.0, 2.35), dpi=100)
        bars = figure.add_subplot()
        positions = list(range(len(weekly)))
        bars.bar(positions, [w["filed"] for w in weekly], color=BAR, width=0.6,
                 label=filed_label, zorder=2)
        bars.set_ylabel(filed_label)
        bars.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        bars.set_ylim(bottom=0, top=max([w["filed"] for w in weekly] + [1]) * 1.15)
        bars.set_xticks(positions, ticks)
        bars.grid(axis="y", color=GRID, linewidth=0.6, zorder=0)
        bars.spines[["top", "right"]].set_visible(False)

        line = bars.twinx()
        compliance = [math.nan if w["compliance"] is None else w["compliance"] for w in weekly]
        line.plot(positions, compliance, color=LINE, linewidth=2, marker="o", markersize=4,
                  label=compliance_label, zorder=3, clip_on=False)
        line.set_ylim(0, 100)
        line.set_ylabel(f"{compliance_label} (%)")
        line.spines[["top", "left"]].set_visible(False)

        handles = bars.get_legend_handles_labels()[0] + line.get_legend_handles_labels()[0]
        bars.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2,
                    frameon=False, fontsize=8.5, labelcolor=INK)
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None}, transparent=True)
    return out.getvalue()
