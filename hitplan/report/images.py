"""Static PNG images of plotly figures, all in one kaleido batch (one headless browser for the lot)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go

from hitplan.errors import HitplanError
from hitplan.report.browser import require_chrome


def figures_to_png(figs: Sequence[go.Figure], out_dir: str | os.PathLike, *, width: int = 1200, height: int = 675,
                   scale: float = 2.0, names: Sequence[str] | None = None) -> list[Path]:
    """Write each figure to ``out_dir`` as PNG (``names`` or fig-01.png, ... ; width x height layout pixels times
    ``scale``) in one browser session, and return the paths in order."""
    figs = list(figs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(names) if names is not None else [f"fig-{k:02d}.png" for k in range(1, len(figs) + 1)]
    if len(names) != len(figs) or len(set(names)) != len(names):
        raise HitplanError(f"give one distinct file name per figure ({len(figs)} figures, {len(set(names))} names)")
    if not figs:
        return []
    chrome = require_chrome("Exporting charts as images")
    paths = [out / (n if n.endswith(".png") else f"{n}.png") for n in names]
    import kaleido  # imported here: it pulls in asyncio machinery that notebooks never need

    # A figure's own size wins over the batch size, as in plotly's write_image.
    specs = [{"fig": f.to_plotly_json(), "path": p,
              "opts": {"format": "png", "width": f.layout.width or width, "height": f.layout.height or height,
                       "scale": scale}}
             for f, p in zip(figs, paths)]
    # kaleido directly rather than plotly.io.write_images: plotly only forwards a truthy mathjax setting, and
    # kaleido's default loads MathJax from a CDN; False keeps the export offline (plotly.js is the local copy)
    # Written to a scratch directory first so a failed batch leaves no half-written images behind.
    with tempfile.TemporaryDirectory(dir=out, prefix=".png-") as tmp:
        scratch = [{**s, "path": Path(tmp) / s["path"].name} for s in specs]
        try:
            kaleido.write_fig_from_object_sync(scratch, kopts={"path": str(chrome), "mathjax": False})
        except Exception as exc:  # kaleido raises its own types (and ExceptionGroup) for browser failures
            raise HitplanError(f"exporting {len(figs)} chart images with {chrome} failed: {exc}") from exc
        missing = [s["path"].name for s in scratch if not s["path"].is_file()]
        if missing:
            raise HitplanError(f"chart export wrote no image for {', '.join(missing)}")
        for s, p in zip(scratch, paths):
            os.replace(s["path"], p)
    return paths
