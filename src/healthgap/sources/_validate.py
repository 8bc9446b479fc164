"""Vectorised validation of imported rows; every problem names file, line, column and expectation.

Readers build a Polars frame with a ``_line`` column (the 1-based line of the row in the file,
or row in the sheet) and run the checks here before returning. Each check is one Polars
expression over all rows; problems are collected as a frame, and the first
:data:`MAX_REPORTED` (by line) are listed in one :class:`ImportValidationError` with the total.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl

from healthgap._conventions import LIMIT_PAIRS, LIMITS, ROUNDING_NOTE
from healthgap.errors import InputError

MAX_REPORTED = 20

#: GSS area codes (ONS): a letter for the country (E, W, S, N; K for UK/GB/E&W; L, M for the
#: Channel Islands and Isle of Man) and eight digits, e.g. E09000001 (ONS Code History Database).
GSS_CODE = r"^[EWSNKLM]\d{8}$"
#: International Territorial Level codes (ONS, from 2021: TLC ... TLN; TLI3; TLI31) and the
#: NUTS codes they replaced (UKC ... UKN; UKI3; UKI31), as ONS Explore Local Statistics uses.
ITL_CODE = r"^(?:TL|UK)[C-N](?:[0-9A-Z]{1,3})?$"
#: Any area code an ONS statistical file carries: GSS or ITL/NUTS.
AREA_CODE = r"^(?:[EWSNKLM]\d{8}|(?:TL|UK)[C-N](?:[0-9A-Z]{1,3})?)$"
#: GSS codes or NHS organisation (ODS) codes, as Fingertips files carry both (e.g. A81001).
GSS_OR_ODS_CODE = r"^(?:[EWSNKLM]\d{8}|[A-Z0-9]{3,8})$"

#: Indicator ids as the catalogue allows them (IndicatorMeta.id): letters, digits, "_.-".
INDICATOR_ID = r"^[A-Za-z0-9_.-]+$"

#: Markers official files use for a missing number (ONS '..', ':', 'x'; Fingertips '-', HTML;
#: the Government Statistical Service's bracketed shorthand since 2021: '[c]' confidential,
#: '[x]' not available, '[z]' not applicable, '[low]' rounds to zero, '[w]' no cases; the
#: Department for Education's 'c', 'x', 'z', 'low' and 'u' (low reliability)).
MISSING_MARKERS = (
    "",
    "-",
    "..",
    ".",
    ":",
    "x",
    "*",
    "~",
    "n/a",
    "N/A",
    "na",
    "NA",
    "c",
    "z",
    "low",
    "u",
    "[c]",
    "[x]",
    "[z]",
    "[low]",
    "[w]",
)

#: A GSS shorthand alone in a number's cell ('[u]' low reliability, '[p]' provisional ...,
#: as ONS writes where it shows no number): there is no number.
_SHORTHAND_ALONE = r"^\[[A-Za-z]{1,5}\]$"

_PROBLEM_SCHEMA = {"line": pl.Int64, "column": pl.String, "value": pl.String, "expected": pl.String}


class ImportValidationError(InputError):
    """An input file breaks the rules of its format; lists the first problems and the total.

    Attributes
    ----------
    path : str
        The file read.
    problems : list of dict
        Up to 20 problems, each with ``line`` (1-based, in the file), ``column``, ``value`` and
        ``expected``.
    total : int
        How many problems were found in all.
    """

    def __init__(self, path: str | Path, problems: list[dict], total: int) -> None:
        self.path = str(path)
        self.problems = problems
        self.total = total
        lines = [
            f"line {p['line']}, column {_short(p['column'])!r}: got {_short(p['value'])!r}, "
            f"expected {p['expected']}"
            for p in problems
        ]
        shown = f"first {len(problems)} of {total}" if total > len(problems) else f"{total}"
        super().__init__(
            f"{self.path}: {total} problem(s) in the data ({shown} listed): " + "; ".join(lines)
        )


def _short(text: object, limit: int = 80) -> str:
    """Text cut to ``limit`` characters, so a huge field cannot flood a message."""
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:limit] + "..."


class Problems:
    """Collects problem frames from vectorised checks; :meth:`raise_if_any` reports them."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._frames: list[pl.DataFrame] = []

    def add(
        self, frame: pl.DataFrame, bad: pl.Expr, column: str, value: pl.Expr | str, expected: str
    ) -> None:
        """Record every row of ``frame`` where ``bad`` is true."""
        value_expr = pl.col(value) if isinstance(value, str) else value
        hits = frame.filter(bad.fill_null(False)).select(
            pl.col("_line").cast(pl.Int64).alias("line"),
            pl.lit(column).alias("column"),
            value_expr.cast(pl.String).fill_null("<missing>").alias("value"),
            pl.lit(expected).alias("expected"),
        )
        if hits.height:
            self._frames.append(hits)

    def add_file_problem(self, column: str, value: str, expected: str, line: int = 1) -> None:
        """Record one problem with the file's layout (a missing column, no header row...)."""
        self._frames.append(
            pl.DataFrame(
                {"line": [line], "column": [column], "value": [value], "expected": [expected]},
                schema=_PROBLEM_SCHEMA,
            )
        )

    def raise_if_any(self) -> None:
        """Raise :class:`ImportValidationError` when any check failed."""
        if not self._frames:
            return
        found = pl.concat(self._frames).sort("line", maintain_order=True)
        first = found.head(MAX_REPORTED).to_dicts()
        raise ImportValidationError(self.path, first, found.height)


#: A number with thousands grouped by commas or spaces (1,234,567.8; 72 293): the only
#: place a comma may stand. ``12,5`` (a decimal comma) and ``1,2,3`` match nothing and are
#: refused rather than read as 125 or 123.
_GROUPED = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?$"
_EXPECTED_GROUPED = (
    "a number with commas only between thousands (1,234.5); a decimal comma (12,5) or a "
    "list (1,2,3) is not read as a number"
)


def clean_number(expr: pl.Expr) -> pl.Expr:
    """Text of a number: HTML removed, thousands separators dropped; missing markers -> null.

    Only well-formed grouping (``72,293``, ``1,234.5``, ``72 293``) loses its separators; any
    other text keeps its commas and spaces, so it fails the cast and is reported.
    """
    text = (
        expr.cast(pl.String)
        .str.replace_all(r"<[^>]*>", "")
        .str.replace_all("[\u00a0\u202f\u2009]", " ")
        .str.strip_chars()
    )
    grouped = text.str.contains(_GROUPED)
    text = pl.when(grouped).then(text.str.replace_all(r"[, ]", "")).otherwise(text)
    missing = text.is_in(list(MISSING_MARKERS)) | text.str.contains(_SHORTHAND_ALONE)
    return pl.when(missing | text.is_null()).then(None).otherwise(text)


def numbers(
    frame: pl.DataFrame,
    columns: Iterable[str],
    problems: Problems,
    labels: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Parse text columns as float64; values that are not finite numbers are problems.

    Plain numbers take one cast; only columns where that cast fails for some cell go through
    the slower cleaning (thousands separators, HTML, missing-value markers). ``inf`` and
    ``NaN`` are refused: official files mark a missing number with a marker or an empty cell.
    """
    labels = labels or {}
    columns = [c for c in columns if c in frame.columns]
    if not columns:
        return frame
    direct = frame.select(
        pl.col(c).cast(pl.String).cast(pl.Float64, strict=False).alias(c) for c in columns
    )
    failed = direct.select(
        (pl.col(c).is_null() & frame[c].is_not_null()).any().alias(c) for c in columns
    ).row(0)
    frame = frame.with_columns(direct[c] for c, bad in zip(columns, failed, strict=True) if not bad)
    slow = [c for c, bad in zip(columns, failed, strict=True) if bad]
    if slow:
        cleaned = frame.with_columns(clean_number(pl.col(c)).alias(f"_clean_{c}") for c in slow)
        cleaned = cleaned.with_columns(
            pl.col(f"_clean_{c}").cast(pl.Float64, strict=False).alias(f"_num_{c}") for c in slow
        )
        for c in slow:
            bad = pl.col(f"_clean_{c}").is_not_null() & pl.col(f"_num_{c}").is_null()
            comma = pl.col(f"_clean_{c}").str.contains(",")
            problems.add(cleaned, bad & ~comma, labels.get(c, c), c, "a number")
            problems.add(cleaned, bad & comma, labels.get(c, c), c, _EXPECTED_GROUPED)
        frame = cleaned.with_columns(pl.col(f"_num_{c}").alias(c) for c in slow).drop(
            [f"_clean_{c}" for c in slow] + [f"_num_{c}" for c in slow]
        )
    finite(frame, columns, problems, labels)
    return frame


def finite(
    frame: pl.DataFrame,
    columns: Sequence[str],
    problems: Problems,
    labels: dict[str, str] | None = None,
) -> None:
    """Record ``inf`` and ``NaN`` in numeric columns (a parser may read the text as those)."""
    labels = labels or {}
    columns = [c for c in columns if c in frame.columns]
    if not columns:
        return
    infinite = frame.select((~pl.col(c).is_finite()).any().alias(c) for c in columns).row(0)
    for c, bad in zip(columns, infinite, strict=True):
        if bad:
            problems.add(frame, ~pl.col(c).is_finite(), labels.get(c, c), c, "a finite number")


def area_codes(
    frame: pl.DataFrame,
    column: str,
    problems: Problems,
    *,
    pattern: str = GSS_CODE,
    label: str | None = None,
) -> None:
    """Record codes that are missing or do not match ``pattern`` (GSS codes by default)."""
    code = pl.col(column)
    problems.add(
        frame,
        code.is_null() | ~code.str.contains(pattern),
        label or column,
        column,
        f"an area code matching {pattern}",
    )


def values_table(
    frame: pl.DataFrame,
    problems: Problems,
    *,
    labels: dict[str, str] | None = None,
    proportion: pl.Expr | bool = False,
    keys: Sequence[str] | None = None,
) -> None:
    """Check a frame of VALUES columns: duplicates, signs, x <= n, limits around the value.

    ``labels`` maps our column names to the file's, so messages name the file's columns.
    ``proportion`` (bool or boolean expression per row) turns on the count <= denominator check.
    """
    from healthgap.store.schema import VALUE_KEYS

    label = (labels or {}).get
    keys = list(keys or VALUE_KEYS)
    numeric = (
        "value",
        "count",
        "denominator",
        *LIMITS,
    )
    frame = frame.with_columns(
        *(pl.lit(None, pl.Float64).alias(c) for c in numeric if c not in frame.columns),
        *(pl.lit("").alias(c) for c in VALUE_KEYS if c not in frame.columns),
    )
    # Duplicates: a 64-bit hash of the key finds candidates fast; exact keys decide.
    key_hash = functools.reduce(operator.xor, (pl.col(k).hash(seed=i) for i, k in enumerate(keys)))
    candidates = frame.select(key_hash.is_duplicated()).to_series()
    if candidates.any():
        suspects = frame.filter(candidates)
        problems.add(
            suspects,
            ~pl.struct(keys).is_first_distinct(),
            "+".join(label(k, k) for k in keys),
            pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in keys], separator=" | "),
            "one row per indicator, area, period, sex, age and category (duplicate key)",
        )
    for col in ("count", "denominator"):
        problems.add(frame, pl.col(col) < 0, label(col, col), col, "a count >= 0")
    prop = pl.lit(proportion) if isinstance(proportion, bool) else proportion
    problems.add(
        frame,
        prop & (pl.col("count") > pl.col("denominator")),
        label("count", "count"),
        pl.format("{} > denominator {}", pl.col("count"), pl.col("denominator")),
        "a numerator no greater than the denominator (the indicator is a proportion)",
    )
    value = pl.col("value")
    for low, high in LIMIT_PAIRS:
        lo, hi = pl.col(low), pl.col(high)
        # rounding slack is computed only on rows that break the strict rule
        strict = frame.filter(((lo > value) | (hi < value) | (lo > hi)).fill_null(False))
        if not strict.height:
            continue
        strict = strict.with_columns(rounding_tolerance(value).alias("_tol"))
        tol = pl.col("_tol")
        problems.add(
            strict,
            lo > value + tol,
            label(low, low),
            pl.format("{} above value {}", lo, value),
            "a lower limit at or below the value",
        )
        problems.add(
            strict,
            hi < value - tol,
            label(high, high),
            pl.format("{} below value {}", hi, value),
            "an upper limit at or above the value",
        )
        problems.add(
            strict,
            lo > hi + tol,
            label(low, low),
            pl.format("{} above upper limit {}", lo, hi),
            "a lower limit at or below the upper limit",
        )


def rounding_tolerance(value: pl.Expr) -> pl.Expr:
    """Half a unit in the last decimal place a value was published with (plus 1e-9 relative).

    Official files round values for display but not always their limits (Fingertips writes a
    value of 17 with limits 17.025 to 17.072): a value shown with :math:`d` decimals stands for
    a number within :math:`0.5 \\times 10^{-d}` of it, so limits are checked with that slack.
    """
    v = value.abs()
    decimals = pl.min_horizontal(
        pl.when((v.round(d) - v).abs() <= 1e-9 * (1 + v)).then(d).otherwise(16) for d in range(13)
    )
    return 0.5 * pl.lit(10.0).pow(-decimals) + 1e-9 * (1 + v)


def note_rounded_limits(frame: pl.DataFrame) -> pl.DataFrame:
    """Add :data:`ROUNDING_NOTE` to ``value_note`` where limits fall outside the value.

    :func:`values_table` accepts such rows when the gap is within the value's rounding (a
    Fingertips value of 17.0 with a 95% lower limit of 17.025); the note tells a reader why
    the published limits do not bracket the published value.
    """
    limits = [
        (lo, hi)
        for lo, hi in (("lower95_0cl", "upper95_0cl"), ("lower99_8cl", "upper99_8cl"))
        if lo in frame.columns and hi in frame.columns
    ]
    if not limits or "value" not in frame.columns:
        return frame
    value = pl.col("value")
    outside = pl.any_horizontal(
        ((pl.col(lo) > value) | (pl.col(hi) < value)).fill_null(False) for lo, hi in limits
    )
    if not frame.select(outside.any()).item():
        return frame
    note = pl.col("value_note") if "value_note" in frame.columns else pl.lit(None, pl.String)
    return frame.with_columns(
        pl.when(outside & ~note.fill_null("").str.contains(ROUNDING_NOTE, literal=True))
        .then(
            pl.when(note.is_null() | (note == ""))
            .then(pl.lit(ROUNDING_NOTE))
            .otherwise(pl.format("{}; {}", note, pl.lit(ROUNDING_NOTE)))
        )
        .otherwise(note)
        .alias("value_note")
    )


def require_columns(present: Sequence[str], required: Sequence[str], problems: Problems) -> None:
    """Record each required column the header lacks, then raise at once (nothing else works)."""
    for name in required:
        if name not in present:
            problems.add_file_problem(name, "<absent>", f"a column named {name!r} in the header")
    problems.raise_if_any()
