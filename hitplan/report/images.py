"""Static images of plotly figures (PNG for the deck, SVG for the printed board pack), all in one kaleido batch (one
headless browser for the lot)."""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go

from hitplan.errors import HitplanError
from hitplan.report.browser import require_chrome
from hitplan.report.escape import escaped_figure


def _title(fig: dict) -> str:
    title = fig.get("layout", {}).get("title")
    return html.unescape(str(title.get("text") if isinstance(title, dict) else title or ""))[:80]


def _write_images(figs: list[dict], paths: list[Path], *, fmt: str, width: int, height: int, scale: float) -> None:
    """Draw each figure (plotly JSON, text already escaped) to its path in one browser session; a failed batch
    leaves none of the paths written."""
    chrome = require_chrome("Exporting charts as images")
    import kaleido  # imported here: it pulls in asyncio machinery that notebooks never need

    # A figure's own size wins over the batch size, as in plotly's write_image.
    specs = [{"fig": f, "path": p,
              "opts": {"format": fmt, "width": f.get("layout", {}).get("width") or width,
                       "height": f.get("layout", {}).get("height") or height, "scale": scale}}
             for f, p in zip(figs, paths)]
    # kaleido directly rather than plotly.io.write_images: plotly only forwards a truthy mathjax setting, and
    # kaleido's default loads MathJax from a CDN; False keeps the export offline (plotly.js is the local copy)
    # Written to a scratch directory first so a failed batch leaves no half-written images behind.
    out = paths[0].parent
    with tempfile.TemporaryDirectory(dir=out, prefix=f".{fmt}-") as tmp:
        scratch = [{**s, "path": Path(tmp) / s["path"].name} for s in specs]
        try:
            kaleido.write_fig_from_object_sync(scratch, kopts={"path": str(chrome), "mathjax": False})
        except Exception as exc:  # kaleido raises its own types (and ExceptionGroup) for browser failures
            raise HitplanError(f"exporting {len(figs)} chart images with {chrome} failed: {exc}") from exc
        missing = [f"{s['path'].name} ({_title(s['fig'])!r})" for s in scratch if not s["path"].is_file()]
        if missing:
            raise HitplanError(f"chart export wrote no image for {', '.join(missing)}: plotly.js could not draw it")
        for s, p in zip(scratch, paths):
            os.replace(s["path"], p)


def figures_to_png(figs: Sequence[go.Figure], out_dir: str | os.PathLike, *, width: int = 1200, height: int = 675,
                   scale: float = 2.0, names: Sequence[str] | None = None) -> list[Path]:
    """Write each figure to ``out_dir`` as PNG (``names`` or fig-01.png, ... ; width x height layout pixels times
    ``scale``), its text escaped as in the reports, in one browser session, and return the paths in order."""
    figs = list(figs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(names) if names is not None else [f"fig-{k:02d}.png" for k in range(1, len(figs) + 1)]
    if len(names) != len(figs) or len(set(names)) != len(names):
        raise HitplanError(f"give one distinct file name per figure ({len(figs)} figures, {len(set(names))} names)")
    if not figs:
        return []
    paths = [out / (n if n.endswith(".png") else f"{n}.png") for n in names]
    _write_images([escaped_figure(f) for f in figs], paths, fmt="png", width=width, height=height, scale=scale)
    return paths


def drawn_figures_to_svg(figs: Sequence[dict], *, width: int = 760, height: int = 525) -> list[str]:
    """SVG images (as text) of figures given as the plotly JSON a report page draws, whose text is escaped already
    (``hitplan.report.escape.escaped_figure``), in one browser session."""
    figs = list(figs)
    if not figs:
        return []
    with tempfile.TemporaryDirectory(prefix="hitplan-svg-") as tmp:
        paths = [Path(tmp) / f"fig-{k:03d}.svg" for k in range(1, len(figs) + 1)]
        _write_images(figs, paths, fmt="svg", width=width, height=height, scale=1)
        return [p.read_text(encoding="utf-8") for p in paths]
