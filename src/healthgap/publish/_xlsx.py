"""Workbooks with the same bytes for the same content: no time of saving inside.

openpyxl stamps the time of saving into ``docProps/core.xml`` and into every zip entry. A
published vintage must give byte-identical files whenever it is written again, so the
workbook's created and modified times are the caller's (fixed) time and the zip entries carry
a fixed date (reproducible-builds.org, SOURCE_DATE_EPOCH).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any

#: The earliest date a zip entry can hold: fixed, so reruns match.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def build_time() -> dt.datetime:
    """Return ``SOURCE_DATE_EPOCH`` (when set) or 1980-01-01: never the wall clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    return dt.datetime(*ZIP_TIME)


def save_fixed(book: Any, path: Path, created: dt.datetime) -> None:
    """Save an openpyxl workbook to ``path`` with ``created`` as its only time."""
    book.properties.created = created
    book.properties.modified = created
    buffer = io.BytesIO()
    book.save(buffer)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, content)
