"""Small server-rendered SVG charts. Each has a <title> and <desc> and role="img", and the page
shows the same numbers as a table beside it, so nothing depends on seeing the picture."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

PALETTE = ["#2a5bd7", "#1e7b3a", "#a64b00", "#7a3fb0", "#b3261e", "#00707a", "#5b6475", "#8a6d00"]


def _svg(chart_id, title, desc, width, height, body):
    return format_html(
        '<svg id="{}" class="chart" role="img" aria-labelledby="{}-t {}-d" viewBox="0 0 {} {}" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        chart_id,
        chart_id,
        chart_id,
        width,
        height,
        chart_id,
        title,
        chart_id,
        desc,
        body,
    )


def bar_chart(chart_id, title, items, unit=""):
    """Horizontal bars. ITEMS: [(label, value)]."""
    row, label_w, bar_w = 26, 170, 200
    top = max((v for _, v in items), default=0) or 1
    desc = "; ".join(f"{label}: {value}{unit}" for label, value in items) or "No data."
    body = format_html_join(
        "",
        '<text x="0" y="{}" font-size="13" fill="#1d2330">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="16" fill="{}"></rect>'
        '<text x="{}" y="{}" font-size="13" fill="#1d2330">{}{}</text>',
        (
            (
                i * row + 17,
                label,
                label_w,
                i * row + 4,
                round(bar_w * value / top, 1),
                PALETTE[i % len(PALETTE)],
                label_w + round(bar_w * value / top, 1) + 6,
                i * row + 17,
                value,
                unit,
            )
            for i, (label, value) in enumerate(items)
        ),
    )
    return _svg(chart_id, title, desc, label_w + bar_w + 50, max(len(items), 1) * row + 4, body)


def line_chart(chart_id, title, x_labels, series, y_max, y_label=""):
    """Lines over X_LABELS. SERIES: [(name, [value or None, ...])]; gaps where a value is None."""
    # The right margin holds half of the last date under the axis ("02 Dec" centred on the edge).
    left, right, top, width, plot_h = 36, 24, 10, 420, 152
    # The legend has a row per series under the axis labels: side by side, a long name ran under
    # the next one's swatch ("Reflections per questio").
    legend_top, legend_row = top + plot_h + 26, 16
    height = legend_top + legend_row * max(len(series), 1)
    plot_w = width - left - right
    n = max(len(x_labels), 1)

    def x(i):
        return round(left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2), 1)

    def y(v):
        return round(top + plot_h - plot_h * min(v, y_max) / y_max, 1)

    parts = [
        format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#d9dce3"></line>', left, y(t), width - right, y(t))
        for t in (0, y_max / 2, y_max)
    ]
    parts += [
        format_html('<text x="2" y="{}" font-size="11" fill="#5b6475">{}</text>', y(t) + 4, _num(t))
        for t in (0, y_max / 2, y_max)
    ]
    step = max(1, n // 8)
    parts += [
        format_html('<text x="{}" y="{}" font-size="11" fill="#5b6475" text-anchor="middle">{}</text>', x(i), top + plot_h + 16, label)
        for i, label in enumerate(x_labels) if i % step == 0
    ]  # fmt: skip
    desc = []
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            parts.append(
                format_html(
                    '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"></polyline>',
                    colour,
                    " ".join(f"{px:.1f},{py:.1f}" for px, py in points),
                )
            )
        parts += [
            format_html('<circle cx="{}" cy="{}" r="3" fill="{}"></circle>', f"{px:.1f}", f"{py:.1f}", colour)
            for px, py in points
        ]
        parts.append(
            format_html(
                '<g class="legend"><rect x="{}" y="{}" width="10" height="10" fill="{}"></rect>'
                '<text x="{}" y="{}" font-size="11" fill="#1d2330">{}</text></g>',
                left,
                legend_top + k * legend_row,
                colour,
                left + 14,
                legend_top + k * legend_row + 9,
                name,
            )
        )
        desc.append(
            f"{name}: " + ", ".join(f"{lab} {_num(v) if v is not None else 'n/a'}" for lab, v in zip(x_labels, values))
        )
    if y_label:
        desc.insert(0, y_label)
    return _svg(chart_id, title, ". ".join(desc) or "No data.", width, height, mark_safe("".join(parts)))


def _num(v):
    return f"{v:.1f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def session_charts(report):
    """The report's two charts: behaviour mix and empathy over the trainee's turns."""
    from feedback.models import CODE_LABELS

    counts = report["summary"]["counts"]
    mix = bar_chart(
        "chart-mix",
        "Behaviour mix: how many of your messages had each code",
        [(CODE_LABELS[c], n) for c, n in counts.items()],
    )
    scored = [t for t in report["turns"] if t["role"] == "trainee" and t.get("code")]
    empathy = line_chart(
        "chart-empathy",
        "Empathy over your messages (EPITOME, 0-2 each)",
        [f"#{t['seq']}" for t in scored],
        [
            (name, [t["empathy"][key] for t in scored])
            for key, name in [
                ("emotional_reactions", "Emotional reactions"),
                ("interpretations", "Interpretations"),
                ("explorations", "Explorations"),
            ]
        ],
        2,
        "Message number against level 0-2",
    )
    return {"mix": mix, "empathy": empathy}


def history_chart(rows):
    labels = [r["session"].started_at.strftime("%d %b") for r in rows]
    return line_chart(
        "chart-progress",
        "Progress across sessions: reflection-to-question ratio and share of complex reflections",
        labels,
        [
            ("Reflections per question", [r["summary"]["rq_ratio"] for r in rows]),
            (
                "Complex reflections ÷ 50%",
                [
                    None if r["summary"]["pct_complex"] is None else round(r["summary"]["pct_complex"] / 50, 2)
                    for r in rows
                ],
            ),
        ],
        3.0,
        "Session date against ratio (2 = MITI good for both lines)",
    )
