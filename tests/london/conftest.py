"""Fixtures of the London application's tests: the real London job run once per process."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def london_job(tmp_path_factory):
    """The real London job (healthgap.london.job.run) on the shipped snapshot, run once.

    Returns ``(result, progress_calls)``.
    """
    from healthgap.london.job import run

    seen: list[tuple[str, int, int]] = []
    result = run(tmp_path_factory.mktemp("london"), progress=lambda *step: seen.append(step))
    return result, seen
