"""Input files of an import, identified by name, size and content hash (kept with each vintage)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from healthgap.errors import InputError

__all__ = ["InputFile"]

_CHUNK = 1 << 20  # read files 1 MiB at a time so hashing never loads a whole file


@dataclass(frozen=True)
class InputFile:
    """One file read by an import: its name, size in bytes and SHA-256 hex digest."""

    name: str
    size: int
    sha256: str

    @classmethod
    def from_path(cls, path: str | Path) -> InputFile:
        """Describe the file at ``path``, hashing its content with SHA-256.

        Parameters
        ----------
        path : str or Path
            An existing file.

        Returns
        -------
        InputFile
            ``name`` is the file's base name, ``size`` its length in bytes.

        Raises
        ------
        InputError
            If ``path`` is not an existing file.

        Examples
        --------
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = os.path.join(d, "a.csv")
        ...     _ = open(p, "w").write("abc")
        ...     InputFile.from_path(p).sha256[:12]
        'ba7816bf8f01'
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"input file {str(path)!r} not found")
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        return cls(name=path.name, size=path.stat().st_size, sha256=digest.hexdigest())
