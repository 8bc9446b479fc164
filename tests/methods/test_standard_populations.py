import numpy as np
import pytest

from healthgap.errors import InputError
from healthgap.methods.standard_populations import (
    ESP2013,
    ESP2013_AGE_STARTS,
    ESP2013_BANDS,
    esp2013,
    esp2013_bands,
)


def test_esp2013_published_weights():
    # Eurostat (2013), Revision of the European Standard Population: 19 bands to 90+
    assert len(ESP2013) == 19
    assert sum(ESP2013) == 100_000
    assert ESP2013[0] == 5000
    assert ESP2013[7:11] == (7000, 7000, 7000, 7000)
    assert ESP2013[-4:] == (4000, 2500, 1500, 1000)
    assert ESP2013_AGE_STARTS[-1] == 90
    assert ESP2013_BANDS[0] == "0-4"
    assert ESP2013_BANDS[-2:] == ("85-89", "90+")


def test_exported_from_methods_package():
    import healthgap.methods

    assert healthgap.methods.ESP2013 is ESP2013


def test_truncated_ranges():
    under_75 = esp2013(stop=75)
    assert len(under_75) == 15
    assert under_75.sum() == 91_000
    assert esp2013_bands(stop=75)[-1] == "70-74"
    np.testing.assert_array_equal(esp2013(65), [5500, 5000, 4000, 2500, 1500, 1000])
    assert esp2013_bands(65) == ["65-69", "70-74", "75-79", "80-84", "85-89", "90+"]
    assert esp2013(20, 25).tolist() == [6000.0]


def test_returns_a_fresh_array():
    a = esp2013()
    a[0] = 0
    assert esp2013()[0] == 5000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((3,), r"argument 'start' must be the start of an ESP2013 band"),
        ((0, 77), r"argument 'stop' must be the start of an ESP2013 band"),
        ((50, 50), r"argument 'stop' must be greater than 'start'; got 50, 50"),
        ((2.5,), r"argument 'start' must be a whole age; got 2.5"),
    ],
)
def test_bad_ranges(args, message):
    with pytest.raises(InputError, match=message):
        esp2013(*args)
