"""schemathesis against the served OpenAPI schema: no 5xx, every response as documented."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import positive_data_acceptance  # noqa: E402

# one test process builds the store, the server and the site for all web tests
pytestmark = pytest.mark.xdist_group("web")

EXAMPLES = 20  # per operation; the schema has about 30 operations


def test_api_conforms_to_its_schema(server):
    # schemathesis' pytest plugin does not load with this pytest; its hypothesis strategies
    # are driven directly, one operation after another, with its default checks.
    schema = schemathesis.openapi.from_url(f"{server}/api/openapi.json")
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def conforms(case):
            # positive_data_acceptance is left out: a few combinations are invalid in ways a
            # schema cannot say (a WHO measure that does not apply to a non-ordered
            # breakdown); they get a 400 naming the parameter, tested in test_api.py.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        conforms()
        tested.append(operation.label)
    assert len(tested) >= 25


def test_schema_documents_both_apis(server):
    import httpx

    paths = httpx.get(f"{server}/api/openapi.json").json()["paths"]
    for path in (
        "/api/v1/values",
        "/api/v1/indicators",
        "/api/v1/areas",
        "/api/v1/hierarchy",
        "/api/v1/comparisons",
        "/api/v1/trends",
        "/api/v1/inequalities",
        "/api/v1/vintages",
        "/api/v1/vintages/diff",
        "/api/all_data/csv/by_indicator_id",
        "/api/all_data/csv/by_profile_id",
        "/api/indicator_metadata/csv/by_indicator_id",
        "/api/area_types",
        "/api/areas/by_area_type",
        "/api/profiles",
        "/api/ages",
        "/api/sexes",
        "/api/value_notes",
    ):
        assert set(paths[path]) == {"get"}, path
