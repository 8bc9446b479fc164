"""The geography of the synthetic London: the 33 real local authorities, synthetic small areas.

Borough codes and names are the real ones (ONS GSS codes E09000001-E09000033). Small areas are
synthetic: their codes (``E01900001`` ...) lie outside the range ONS has used for LSOAs, so no
one can mistake them for real ones, and their names end in "(synthetic)". Each borough gets
about as many small areas as it has 2011 LSOAs (4,835 in London in all) and a deprivation
level chosen so that the borough's ranking resembles the published IMD 2019 borough ranks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from healthgap.london import ENGLAND_CODE, LONDON_CODE, LONDON_NAME

__all__ = ["BOROUGHS", "ENGLAND_CODE", "LONDON_CODE", "LONDON_NAME", "Geography", "make_geography"]

#: code, name, number of small areas, relative deprivation (0 least, 1 most deprived)
BOROUGHS: tuple[tuple[str, str, int, float], ...] = (
    ("E09000001", "City of London", 6, 0.30),
    ("E09000002", "Barking and Dagenham", 110, 0.88),
    ("E09000003", "Barnet", 211, 0.35),
    ("E09000004", "Bexley", 146, 0.33),
    ("E09000005", "Brent", 173, 0.62),
    ("E09000006", "Bromley", 197, 0.27),
    ("E09000007", "Camden", 133, 0.50),
    ("E09000008", "Croydon", 220, 0.52),
    ("E09000009", "Ealing", 196, 0.52),
    ("E09000010", "Enfield", 183, 0.60),
    ("E09000011", "Greenwich", 151, 0.60),
    ("E09000012", "Hackney", 144, 0.85),
    ("E09000013", "Hammersmith and Fulham", 113, 0.50),
    ("E09000014", "Haringey", 145, 0.72),
    ("E09000015", "Harrow", 137, 0.33),
    ("E09000016", "Havering", 150, 0.38),
    ("E09000017", "Hillingdon", 161, 0.42),
    ("E09000018", "Hounslow", 142, 0.50),
    ("E09000019", "Islington", 123, 0.75),
    ("E09000020", "Kensington and Chelsea", 103, 0.45),
    ("E09000021", "Kingston upon Thames", 98, 0.20),
    ("E09000022", "Lambeth", 178, 0.65),
    ("E09000023", "Lewisham", 169, 0.65),
    ("E09000024", "Merton", 124, 0.32),
    ("E09000025", "Newham", 164, 0.82),
    ("E09000026", "Redbridge", 161, 0.45),
    ("E09000027", "Richmond upon Thames", 115, 0.12),
    ("E09000028", "Southwark", 166, 0.65),
    ("E09000029", "Sutton", 121, 0.30),
    ("E09000030", "Tower Hamlets", 144, 0.80),
    ("E09000031", "Waltham Forest", 144, 0.62),
    ("E09000032", "Wandsworth", 179, 0.38),
    ("E09000033", "Westminster", 128, 0.50),
)

#: IMD 2019 score thresholds between national deciles (most deprived first), approximately
#: those of the published English distribution, so decile shares look like London's.
NATIONAL_DECILE_CUTS = np.array([34.2, 27.8, 22.9, 19.0, 15.7, 12.9, 10.5, 8.4, 6.4])


class Geography(NamedTuple):
    """Small areas (one row each, as arrays) and their boroughs."""

    lsoa_code: np.ndarray
    lsoa_name: np.ndarray
    msoa_code: np.ndarray
    borough_index: np.ndarray  # index into BOROUGHS
    imd_score: np.ndarray
    imd_decile_national: np.ndarray  # 1 = most deprived
    imd_decile_london: np.ndarray  # within London, 1 = most deprived

    @property
    def borough_code(self) -> np.ndarray:
        """GSS code of each small area's borough."""
        return np.array([b[0] for b in BOROUGHS])[self.borough_index]

    @property
    def borough_name(self) -> np.ndarray:
        """Name of each small area's borough."""
        return np.array([b[1] for b in BOROUGHS])[self.borough_index]


def make_geography(rng: np.random.Generator) -> Geography:
    """Draw the small areas: codes, names, MSOAs of about five, deprivation scores and deciles."""
    counts = np.array([b[2] for b in BOROUGHS])
    levels = np.array([b[3] for b in BOROUGHS])
    borough_index = np.repeat(np.arange(len(BOROUGHS)), counts)
    n = len(borough_index)
    codes = np.array([f"E019{i:05d}" for i in range(1, n + 1)])
    # position of each small area within its borough: 001A, 001B, ... 5 per MSOA
    within = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    msoa_number = within // 5 + 1
    letters = np.array(list("ABCDE"))[within % 5]
    names = np.array(
        [
            f"{BOROUGHS[b][1]} {m:03d}{s} (synthetic)"
            for b, m, s in zip(borough_index, msoa_number, letters, strict=True)
        ]
    )
    msoa_codes = np.array(
        [f"E029{b:02d}{m:03d}" for b, m in zip(borough_index, msoa_number, strict=True)]
    )
    borough_mean = 8.0 + 32.0 * levels[borough_index]
    score = np.round(borough_mean * np.exp(rng.normal(0.0, 0.38, n)), 3)
    national = 1 + np.searchsorted(-NATIONAL_DECILE_CUTS, -score, side="right")
    london = _deciles_by_rank(score)
    return Geography(codes, names, msoa_codes, borough_index, score, national, london)


def _deciles_by_rank(score: np.ndarray) -> np.ndarray:
    """Deciles of ``score`` with 1 = highest score (most deprived), ties at the minimum rank."""
    order = np.argsort(-score, kind="stable")
    rank = np.empty(len(score), dtype=np.int64)
    rank[order] = np.arange(1, len(score) + 1)
    return np.minimum(10, (rank - 1) * 10 // len(score) + 1)
