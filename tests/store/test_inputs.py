import hashlib

import pytest

from healthgap.errors import InputError
from healthgap.store import InputFile


def test_from_path_hashes_content(tmp_path):
    path = tmp_path / "data.csv"
    content = b"x" * (3 * 2**20 + 5)  # several read chunks
    path.write_bytes(content)
    got = InputFile.from_path(path)
    assert got == InputFile("data.csv", len(content), hashlib.sha256(content).hexdigest())


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        InputFile.from_path(tmp_path / "absent.csv")
