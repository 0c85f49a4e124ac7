"""The one way text from the store reaches a report: escaped for HTML, for Markdown and for the pseudo-HTML plotly
draws chart text with, so that a system named ``<script>…`` or ``[x](javascript:…)`` is shown, never run or followed.

Section findings, titles, key numbers and table cells are plain text (they mix our words with store values); they
are escaped whole where they are written into a page. Figures stay raw in a ``Section`` (the deck and the alt
text read them) and are escaped once, by ``escaped_figure``, where they are drawn.
"""

from __future__ import annotations

import html
import json
import string

import plotly.graph_objects as go

# CommonMark lets a backslash escape any ASCII punctuation, which then reads as itself: nothing is left to start a
# link, an image, emphasis, code, a raw HTML tag, an entity or an autolink (https\:\/\/...). The backslash and the
# dollar become numeric references instead: Jupyter looks for math (``$...$``, ``\\(...\\)``) before Markdown runs,
# and a backslash escape would feed it the very characters it looks for.
_MARKDOWN = {c: "\\" + c for c in string.punctuation} | {"\\": "&#92;", "$": "&#36;"}
_MARKDOWN_TABLE = str.maketrans(_MARKDOWN | {"\r": " ", "\n": " "})

# Where our chart builders write plotly markup of their own, and which tags: anything else in a figure, and any
# other tag there, is text. Store values never go into these places (charts.py passes names as data, which plotly
# substitutes into templates as text).
_TEMPLATE_TAGS = ("<br>", "<extra>", "</extra>")
_OWN_MARKUP = {"hovertemplate": _TEMPLATE_TAGS, "texttemplate": _TEMPLATE_TAGS, "ticktext": ("<br>",),
               "header": ("<b>", "</b>"), "cells": ("<b>", "</b>"), "colorbar": ("<br>",)}


def html_text(value) -> str:
    """``value`` as HTML text or attribute value: ``&``, ``<``, ``>`` and both quotes escaped."""
    return html.escape(str(value), quote=True)


def markdown_text(value) -> str:
    """``value`` as Markdown that renders to exactly its text on one line (no link, image, tag, emphasis or math)."""
    return str(value).translate(_MARKDOWN_TABLE)


def chart_text(value) -> str:
    """``value`` as plotly chart text (titles, labels, hover): plotly reads ``<b>``, ``<br>`` and ``<a href>`` in
    them and decodes entities, so ``&``, ``<`` and ``>`` become entities."""
    return html.escape(str(value), quote=False)


def _escaped(value, keep: tuple[str, ...] = ()):
    if isinstance(value, str):
        text = chart_text(value)
        for tag in keep:
            text = text.replace(chart_text(tag), tag)
        return text
    if isinstance(value, dict):
        return {k: _escaped(v, _OWN_MARKUP.get(k, keep)) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v, keep) for v in value]
    return value


def escaped_figure(fig: go.Figure | dict) -> dict:
    """The figure as plotly JSON (a dict) with every string escaped as chart text, except the few tags our chart
    builders put into hover templates, tick texts, table headers and colour-bar titles; what plotly.js, kaleido and
    JupyterLab draw."""
    import plotly.io as pio

    return _escaped(json.loads(pio.to_json(fig, validate=False, remove_uids=False)))
