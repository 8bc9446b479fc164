"""The command line shows a warning as one line, never healthgap's file and source line."""

import subprocess
import sys
import warnings

from healthgap import _warnings
from healthgap.errors import SuppressedWarning


def test_a_warning_is_one_line_naming_what_it_says(capsys, monkeypatch):
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    _warnings.one_line_warnings()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(
            "5 suppressed counts\ncould still be worked out", SuppressedWarning, stacklevel=1
        )
    err = capsys.readouterr().err
    assert err == "healthgap: warning: 5 suppressed counts could still be worked out\n"


def test_the_entry_point_installs_it():
    code = (
        "import warnings, healthgap.__main__ as m, healthgap._warnings as w\n"
        "m.one_line_warnings()\n"
        "assert warnings.showwarning is w._show\n"
        "warnings.warn('kept as one line')\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stderr == "healthgap: warning: kept as one line\n"
