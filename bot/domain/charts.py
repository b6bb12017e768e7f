"""Bar charts for dossiers, as inline SVG drawn by matplotlib (text stays text: every script
renders, and the file stays small). Shared by the project dossier and the sector dossier.

A chart is always laid out left to right, also in an Arabic dossier: the SVG is wrapped in a
``dir="ltr"`` block (see ``chart_block``). Inherited ``dir=rtl`` flips every text anchor, which
clipped month labels, drew neighbourhood names inside the bars and legends over their swatches.
Arabic words inside a label are still shaped and ordered right to left by the browser.
"""

from __future__ import annotations

import io
from functools import lru_cache

from bot.core.i18n import _

REPORTS_COLOUR = "#2b6cb0"
ME_TOO_COLOUR = "#63b3ed"  # light enough to tell apart, dark enough to see on white
EDGE = "#1a365d"


@lru_cache(maxsize=1)
def _load_matplotlib() -> None:
    import matplotlib

    # The SVG backend only reads this from rcParams; set once (the same value every time), never
    # swapped per call with rc_context.
    matplotlib.rcParams["svg.fonttype"] = "none"
    # Element ids from a fixed salt: the same dossier twice is the same file, and random hex ids
    # can never happen to spell part of a number that was redacted from the text.
    matplotlib.rcParams["svg.hashsalt"] = "buurtbot"


def bar_chart(
    labels: list[str],
    reports: list[int],
    me_too: list[int] | None,
    horizontal: bool,
) -> str:
    """Stacked bars: reports, then "me too" households on top. Count axes get whole numbers
    only (no "0.5 households"); the legend sits above the plot, never over a bar."""
    # The object API, not pyplot: pyplot's current figure is global state. Imported here so a
    # bot that never exports never loads it.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    _load_matplotlib()
    height = max(2.6, 0.38 * len(labels) + 1.2) if horizontal else 3.4
    fig = Figure(figsize=(7.5, height))
    ax = fig.subplots()
    positions = list(range(len(labels)))
    r_label, m_label = _("Reports"), _("Me too")
    series = [(reports, REPORTS_COLOUR, r_label)]
    if me_too is not None and any(me_too):
        series.append((me_too, ME_TOO_COLOUR, m_label))
    base = [0] * len(labels)
    for values, colour, label in series:
        if horizontal:
            ax.barh(
                positions,
                values,
                left=base,
                color=colour,
                label=label,
                edgecolor=EDGE,
                linewidth=0.6,
            )
        else:
            ax.bar(
                positions,
                values,
                bottom=base,
                color=colour,
                label=label,
                edgecolor=EDGE,
                linewidth=0.6,
            )
        base = [b + v for b, v in zip(base, values, strict=True)]
    count_axis = ax.xaxis if horizontal else ax.yaxis
    count_axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if horizontal:
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, max(max(base, default=0), 1) * 1.05)
    else:
        many = len(labels) > 6
        ax.set_xticks(
            positions, labels, rotation=45 if many else 0, ha="right" if many else "center"
        )
        ax.set_ylim(0, max(max(base, default=0), 1) * 1.08)
    # Above the plot, outside the bars, with room for the swatches.
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.01),
        ncol=len(series),
        frameon=False,
        handlelength=1.4,
        handleheight=1.0,
        borderaxespad=0.2,
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    out = io.StringIO()
    # No creation date in the SVG: the same data gives the same chart (and no stray digits).
    fig.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    return svg[svg.find("<svg") :]


def chart_block(svg: str) -> str:
    """The chart in a left-to-right block, whatever the page's direction."""
    return f"<figure class='chart' dir='ltr'>{svg}</figure>"


def worth_a_chart(values: list) -> bool:
    """One bar (one category, one neighbourhood) says nothing a table does not."""
    return len(values) > 1
