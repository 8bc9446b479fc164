"""Static assets shipped with the report: CSS, the page script and the Vega JavaScript.

``static/vega.min.js`` is the Vega + Vega-Lite + vega-embed bundle made by vl-convert-python
(``vl_convert.javascript_bundle()``, offline): it ships with the package because making it
takes several seconds. Regenerate it after upgrading vl-convert-python with
``python -m healthgap.publish.report._assets``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

STATIC = Path(__file__).parent / "static"
SITE_FILES = ("report.css", "report.js", "vega.min.js")


def copy_site_assets(folder: Path) -> None:
    """Copy the site's CSS and scripts, and the print stylesheet, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (*SITE_FILES, "print.css"):
        shutil.copyfile(STATIC / name, folder / name)


def regenerate_bundle() -> Path:
    """Rebuild ``static/vega.min.js`` from the installed vl-convert-python."""
    import vl_convert as vlc

    head = (
        f"/*! Vega, Vega-Lite and vega-embed, bundled by vl-convert-python {vlc.__version__} "
        f"(vega {vlc.get_vega_version()}, vega-lite {vlc.get_vegalite_versions()[-1]}, "
        f"vega-embed {vlc.get_vega_embed_version()}).\n"
        " * BSD-3-Clause licences: https://github.com/vega/vega, "
        "https://github.com/vega/vega-lite, https://github.com/vega/vega-embed.\n"
        " * Shipped with healthgap so the report needs no network; regenerate with: "
        "python -m healthgap.publish.report._assets */\n"
    )
    path = STATIC / "vega.min.js"
    path.write_text(head + vlc.javascript_bundle(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover
    regenerate_bundle()
