import errno
import json
import os
import subprocess
import sys

import pytest

from healthgap.errors import OutputPathError
from healthgap.publish._output_paths import (
    _HOST,
    MARKER,
    check_not_store,
    file_in,
    new_file,
    new_folder,
    remove_stale_temporaries,
    temp_prefix,
)


def dead_pid() -> int:
    """The id of a process that has ended (reaped, so no longer running)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def entries(folder):
    return sorted(p.name for p in folder.iterdir())


def fill(work, name="index.html", text="new"):
    (work / name).write_text(text)
    (work / "downloads").mkdir()
    (work / "downloads" / "values.csv").write_text("a\n")


def write_folder(target, text="new", fail=None, **kwargs):
    with new_folder(target, **kwargs) as work:
        fill(work, text=text)
        if fail is not None:
            raise fail


def write_file(target, text="a\n", fail=None, **kwargs):
    with new_file(target, **kwargs) as temporary:
        temporary.write_text(text)
        if fail is not None:
            raise fail


def test_new_folder_is_written_whole_with_a_marker_listing_it(tmp_path):
    with new_folder(tmp_path / "site") as work:
        fill(work)
        assert not (tmp_path / "site").exists()
    assert entries(tmp_path) == ["site"]
    marker = json.loads((tmp_path / "site" / MARKER).read_text())
    assert marker["files"] == ["downloads", "downloads/values.csv", "index.html"]


def test_a_previous_output_is_replaced_and_an_empty_folder_filled(tmp_path):
    for _ in range(2):
        with new_folder(tmp_path / "site") as work:
            fill(work)
    assert entries(tmp_path) == ["site"]
    (tmp_path / "empty").mkdir()
    with new_folder(tmp_path / "empty") as work:
        fill(work)
    assert (tmp_path / "empty" / "index.html").read_text() == "new"


def test_a_folder_healthgap_did_not_write_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputPathError, match=r"holds 'notes.txt', which healthgap did not"):
        write_folder(target)
    assert entries(target) == ["notes.txt"]
    assert entries(tmp_path) == ["mine"]


def test_a_file_added_to_a_previous_output_makes_it_the_users(tmp_path):
    target = tmp_path / "site"
    with new_folder(target) as work:
        fill(work)
    (target / "downloads" / "my analysis.xlsx").write_text("mine")
    with pytest.raises(OutputPathError, match=r"'downloads/my analysis.xlsx'"):
        write_folder(target, text="newer")
    assert (target / "index.html").read_text() == "new"
    assert (target / "downloads" / "my analysis.xlsx").read_text() == "mine"


def test_many_foreign_files_are_counted(tmp_path):
    for n in range(5):
        (tmp_path / f"f{n}").write_text("x")
    with pytest.raises(OutputPathError, match=r"'f0', 'f1', 'f2' and 2 more"):
        write_folder(tmp_path)


def test_a_file_or_link_is_not_replaced_by_a_folder(tmp_path):
    (tmp_path / "report").write_text("mine")
    with pytest.raises(OutputPathError, match="is a file, not a folder"):
        write_folder(tmp_path / "report")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OutputPathError, match="symbolic link"):
        write_folder(tmp_path / "link")
    assert (tmp_path / "report").read_text() == "mine"


def test_the_store_is_never_an_output_nor_inside_one(tmp_path):
    store = tmp_path / "healthgap.duckdb"
    store.write_bytes(b"store")
    for target in (store, tmp_path / "healthgap.duckdb.wal", store / "inside"):
        with pytest.raises(OutputPathError, match="is the store"):
            check_not_store(target, store)
    with pytest.raises(OutputPathError, match="holds the store"):
        check_not_store(tmp_path, store)
    (tmp_path / "alias.duckdb").symlink_to(store)
    with pytest.raises(OutputPathError, match="is the store"):
        check_not_store(tmp_path / "alias.duckdb", store)
    os.link(store, tmp_path / "hard.duckdb")
    with pytest.raises(OutputPathError, match="is the store"):
        check_not_store(tmp_path / "hard.duckdb", store)
    check_not_store(tmp_path / "out.csv", store)
    check_not_store(tmp_path, ":memory:")
    assert store.read_bytes() == b"store"


def test_the_current_folder_is_not_swapped_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputPathError, match="current folder"):
        write_folder(".")


def test_a_failure_leaves_the_target_as_it_was_and_no_temporary(tmp_path):
    target = tmp_path / "site"
    with new_folder(target) as work:
        fill(work)
    full = OSError(errno.ENOSPC, "No space left on device", "index.html")
    with pytest.raises(OSError, match="No space left on device"):
        write_folder(target, text="newer", fail=full)
    assert entries(tmp_path) == ["site"]
    assert (target / "index.html").read_text() == "new"


def test_stale_temporaries_of_ended_processes_are_removed(tmp_path):
    pid = dead_pid()
    site, out = tmp_path / "site", tmp_path / "out.csv"
    stale_dir = tmp_path / (temp_prefix(site, pid) + "abc123")
    stale_dir.mkdir()
    (stale_dir / "index.html").write_text("half")
    stale_file = tmp_path / (temp_prefix(out, pid) + "xyz")
    stale_file.write_text("half")
    running = tmp_path / (temp_prefix(site) + "live")
    running.mkdir()
    other_host = temp_prefix(site, pid).replace(f"-tmp-{_HOST}-", "-tmp-0123abcd-") + "x"
    users = [".site.backup", ".site.healthgap-tmp-notapid-x", other_host]
    for name in users:
        (tmp_path / name).write_text("mine")
    with new_folder(site) as work:
        fill(work)
    with new_file(out) as temporary:
        temporary.write_text("a\n")
    assert not stale_dir.exists()
    assert not stale_file.exists()
    assert running.exists()  # this process is still writing it
    # not ours, or written by another machine sharing the folder, whose processes we cannot see
    assert all((tmp_path / name).read_text() == "mine" for name in users)
    assert remove_stale_temporaries(tmp_path / "nowhere" / "x") == []


def test_new_file_replaces_atomically_and_keeps_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        with new_file(tmp_path / "sub" / "out.csv") as temporary:
            temporary.write_text("a\n1\n")
    finally:
        os.umask(old)
    path = tmp_path / "sub" / "out.csv"
    assert path.read_text() == "a\n1\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert entries(path.parent) == ["out.csv"]


def test_new_file_refuses_a_folder_the_store_and_files_it_did_not_write(tmp_path):
    store = tmp_path / "s.duckdb"
    store.write_bytes(b"store")
    with pytest.raises(OutputPathError, match="is a folder"):
        write_file(tmp_path)
    with pytest.raises(OutputPathError, match="is the store"):
        write_file(store, store=store)
    mine = tmp_path / "notes.csv"
    mine.write_text("mine\n")
    with pytest.raises(OutputPathError, match="is not a file healthgap wrote"):
        write_file(mine, ours=lambda existing, written: False)
    assert mine.read_text() == "mine\n"
    assert store.read_bytes() == b"store"
    assert entries(tmp_path) == ["notes.csv", "s.duckdb"]


def test_new_file_on_a_full_disk_leaves_nothing(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("earlier\n")
    full = OSError(errno.ENOSPC, "No space left on device", "out.csv")
    with pytest.raises(OSError, match="No space left on device"):
        write_file(path, text="half", fail=full)
    assert path.read_text() == "earlier\n"
    assert entries(tmp_path) == ["out.csv"]


def fail_on_temporary_file(target):
    with new_file(target) as temporary:
        raise OSError(errno.ENOSPC, "No space left on device", str(temporary))


def fail_in_temporary_folder(target):
    with new_folder(target) as work:
        raise PermissionError(errno.EACCES, "Permission denied", str(work / "a.html"))


def test_errors_on_a_temporary_name_the_output(tmp_path):
    with pytest.raises(OSError, match="No space left on device") as caught:
        fail_on_temporary_file(tmp_path / "out.csv")
    assert caught.value.filename == str(tmp_path / "out.csv")
    with pytest.raises(PermissionError) as denied:
        fail_in_temporary_folder(tmp_path / "site")
    assert denied.value.filename == str(tmp_path / "site" / "a.html")
    assert entries(tmp_path) == []


@pytest.mark.parametrize("name", ["", ".hidden", "../x.csv", "a/b.html", "a\\b.csv", "a\0b"])
def test_names_from_the_data_must_name_a_file_in_the_folder(tmp_path, name):
    with pytest.raises(OutputPathError, match="cannot name an output file"):
        file_in(tmp_path, name)


def test_plain_names_are_files_in_the_folder(tmp_path):
    assert file_in(tmp_path, "borough-e09000001.html") == tmp_path / "borough-e09000001.html"


def test_a_device_or_pipe_is_never_replaced(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(OutputPathError, match="not a regular file"):
        write_file(tmp_path / "pipe")
    assert (tmp_path / "pipe").is_fifo()
    if os.path.exists("/dev/null"):
        with pytest.raises(OutputPathError, match="not a regular file"):
            write_file("/dev/null")
