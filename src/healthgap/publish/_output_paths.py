"""Where healthgap writes: whole or not at all, and only over what healthgap wrote itself.

Every output is built under a temporary name beside its target and moved into place at the
end, so a failure or a kill never leaves half a file. The temporary names carry a tag, the
writing machine (a hash of its host name) and process id
(``.<name>.healthgap-tmp-<host>-<pid>-<random>``); the next write to the same target on the
same machine removes the ones whose process has gone. A folder is written only where there
is nothing, an empty folder, or a folder healthgap wrote before: such a folder holds a
marker file listing everything in it, and it is replaced only while it holds nothing else.
No output may be the store, lie inside it, or (for a folder) hold it. Files get the
permissions the user's umask gives, as if created with ``open``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from healthgap.errors import OutputPathError

MARKER = ".healthgap-output.json"
TEMP_TAG = ".healthgap-tmp-"
_SHOWN = 3  # names listed in a refusal
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _absolute(path: str | Path) -> Path:
    return Path(os.path.abspath(path))


def temp_prefix(target: Path, pid: int | None = None) -> str:
    """Return the start of the names of ``target``'s temporaries written by process ``pid``."""
    return f".{target.name}{TEMP_TAG}{_HOST}-{os.getpid() if pid is None else pid}-"


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(target: str | Path) -> list[Path]:
    """Remove the temporaries an interrupted write to ``target`` left beside it.

    Only entries named ``.<target name>.healthgap-tmp-<host>-<pid>-...`` of this machine
    whose process is no longer running are removed; returns them.
    """
    target = _absolute(target)
    prefix = f".{target.name}{TEMP_TAG}"
    removed: list[Path] = []
    if not target.parent.is_dir():
        return removed
    for entry in target.parent.iterdir():
        host, _, rest = entry.name.removeprefix(prefix).partition("-")
        pid, _, rest = rest.partition("-")
        if not entry.name.startswith(prefix) or host != _HOST or not pid.isdigit() or not rest:
            continue
        if _alive(int(pid)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _store_files(store: str | Path | None) -> list[Path]:
    if store is None or str(store) == ":memory:":
        return []
    path = Path(os.path.realpath(store))
    return [path, path.with_name(path.name + ".wal")]


def check_not_store(target: str | Path, store: str | Path | None) -> None:
    """Refuse an output that is the store (or its write-ahead log), lies inside it or holds it.

    Raises
    ------
    OutputPathError
        Naming the output and the store.
    """
    real = Path(os.path.realpath(target))
    for protected in _store_files(store):
        same = real == protected
        if not same and os.path.lexists(target) and protected.exists():
            same = os.path.samefile(target, protected)
        if same or protected in real.parents:
            raise OutputPathError(
                f"output {str(target)!r} is the store {str(store)!r} (or inside it); "
                "choose another output path"
            )
        if real in protected.parents:
            raise OutputPathError(
                f"output folder {str(target)!r} holds the store {str(store)!r}; "
                "choose another output folder"
            )


def file_in(folder: Path, name: str) -> Path:
    """Return ``folder / name`` for a name made from the data, if it names a file right there.

    Page and download names carry area codes and indicator ids; one holding a path (``/``,
    ``\\``, ``..``) or starting with ``.`` could write outside the output or over its marker.

    Raises
    ------
    OutputPathError
        Naming the name.
    """
    if not name or name.startswith(".") or any(c in name for c in "/\\\0"):
        raise OutputPathError(
            f"cannot name an output file {name!r}: an area code or indicator id in it holds a "
            "path or starts with '.'; fix the code or id in the store"
        )
    return folder / name


def _listing(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, as sorted POSIX paths relative to it."""
    found = []
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        found += [(base / name).as_posix() for name in (*dirs, *files)]
    return sorted(found)


def _describe(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN:,} more" if len(names) > _SHOWN else "")


def check_replaceable_folder(target: str | Path, what: str = "report") -> None:
    """Refuse unless ``target`` is absent, an empty folder, or a folder healthgap wrote.

    A folder healthgap wrote holds :data:`MARKER`, listing its files; anything else in it
    (a file a user added) makes it the user's.

    Raises
    ------
    OutputPathError
        Naming what is there.
    """
    target = Path(target)
    if not os.path.lexists(target):
        return
    if target.is_symlink():
        raise OutputPathError(
            f"output {str(target)!r} is a symbolic link; healthgap writes a {what} folder "
            "only where there is nothing, an empty folder or a previous healthgap " + what
        )
    if not target.is_dir():
        raise OutputPathError(
            f"output {str(target)!r} is a file, not a folder; healthgap writes a {what} folder "
            "only where there is nothing, an empty folder or a previous healthgap " + what
        )
    present = _listing(target)
    if not present:
        return
    written: set[str] = set()
    marker = target / MARKER
    if marker.is_file():
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            written = set(json.loads(marker.read_text(encoding="utf-8")).get("files", []))
    others = [name for name in present if name not in written and name != MARKER]
    if not marker.is_file() or others:
        others = others if marker.is_file() else present
        raise OutputPathError(
            f"output folder {str(target)!r} holds {_describe(others)}, which healthgap did "
            f"not write; it replaces only an empty folder or a previous healthgap {what}: "
            "choose a new or empty folder"
        )


def _check_not_cwd(target: Path) -> None:
    cwd = Path.cwd()
    if cwd == target or target in cwd.parents:
        raise OutputPathError(
            f"output folder {str(target)!r} is the current folder (or holds it); "
            "give a subfolder, e.g. --out report"
        )


@contextlib.contextmanager
def _named_as(temporary: Path, target: Path) -> Iterator[None]:
    """Report an OSError on the temporary (a full disk, say) as one on the output's name."""
    try:
        yield
    except OSError as exc:
        name = str(exc.filename) if exc.filename is not None else ""
        if exc.errno is None or not name.startswith(str(temporary)):
            raise
        where = str(target) + name.removeprefix(str(temporary))
        raise type(exc)(exc.errno, exc.strerror, where) from exc


def _permit(path: Path, mode: int) -> None:
    os.chmod(path, mode & ~_umask())


@contextlib.contextmanager
def new_folder(
    target: str | Path, *, store: str | Path | None = None, what: str = "report"
) -> Iterator[Path]:
    """Build a folder under a temporary name and swap it in for ``target`` at the end.

    Yields the temporary folder to fill. On success it gets :data:`MARKER` (listing what
    it holds) and replaces ``target``, which must be absent, empty or a folder healthgap
    wrote (checked before and again just before the swap); on any failure it is removed
    and ``target`` is left as it was.

    Raises
    ------
    OutputPathError
        ``target`` is the store, holds it, is a file, or holds something healthgap did
        not write.
    """
    target = _absolute(target)
    check_not_store(target, store)
    check_replaceable_folder(target, what)
    _check_not_cwd(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    work = Path(tempfile.mkdtemp(prefix=temp_prefix(target), dir=target.parent))
    try:
        _permit(work, 0o777)
        with _named_as(work, target):
            yield work
        listing = {"written_by": "healthgap", "files": _listing(work)}
        (work / MARKER).write_text(json.dumps(listing, indent=1) + "\n", encoding="utf-8")
        check_replaceable_folder(target, what)
        _swap(work, target)
    finally:
        if work.exists():
            shutil.rmtree(work)


def _swap(work: Path, target: Path) -> None:
    if not os.path.lexists(target):
        os.replace(work, target)
        return
    old = Path(tempfile.mkdtemp(prefix=temp_prefix(target), dir=target.parent)) / "old"
    os.replace(target, old)
    try:
        os.replace(work, target)
    except BaseException:
        os.replace(old, target)
        raise
    finally:
        shutil.rmtree(old.parent, ignore_errors=True)


@contextlib.contextmanager
def new_file(
    target: str | Path,
    *,
    store: str | Path | None = None,
    ours: Callable[[Path, Path], bool] | None = None,
) -> Iterator[Path]:
    """Write a file under a temporary name beside ``target`` and move it into place at the end.

    Yields the temporary path to write. On success it gets the umask's permissions and
    replaces ``target``; on any failure it is removed and ``target`` is left as it was.

    Parameters
    ----------
    target : str or Path
        The file to write; its folder is created if absent.
    store : str or Path, optional
        The store file, which the output must not be.
    ours : callable, optional
        ``ours(existing, written)``: whether an existing ``target`` is an earlier output of
        the same kind, which may be replaced. Without it an existing file is replaced.

    Raises
    ------
    OutputPathError
        ``target`` is the store, a folder, or an existing file that ``ours`` rejects.
    """
    target = _absolute(target)
    check_not_store(target, store)
    if target.is_dir():
        raise OutputPathError(f"output {str(target)!r} is a folder; give the name of a file")
    if os.path.lexists(target) and not (target.is_file() or target.is_symlink()):
        raise OutputPathError(
            f"output {str(target)!r} is not a regular file (a device, pipe or socket); "
            "give the name of a file"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    handle, name = tempfile.mkstemp(prefix=temp_prefix(target), dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        with _named_as(temporary, target):
            yield temporary
        if ours is not None and target.is_file() and not ours(target, temporary):
            raise OutputPathError(
                f"output {str(target)!r} exists and is not a file healthgap wrote of this "
                "kind; it is left alone: choose another file name or remove it"
            )
        _permit(temporary, 0o666)
        os.replace(temporary, target)
    finally:
        if os.path.lexists(temporary):
            temporary.unlink()
