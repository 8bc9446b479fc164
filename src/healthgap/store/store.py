"""The store: one DuckDB file holding areas, populations, indicators and immutable vintages.

Only this module opens DuckDB files and writes. Every write is one transaction, so a failed,
interrupted or killed write leaves the file exactly as it was; writes are idempotent (areas,
populations and indicators are upserted by key, vintages are content-addressed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from healthgap import __version__
from healthgap._conventions import LIMITS
from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.errors import InputError, StoreError
from healthgap.store import (
    _boundaries,
    _judgements,
    _opening,
    _snapshots,
    _tables,
    _validate,
    schema,
)
from healthgap.store.inputs import InputFile

__all__ = ["Store"]

_Filter = str | int | Sequence[str] | Sequence[int] | None
_ID_LENGTH = 16  # hex digits of the vintage id (64 bits of SHA-256)
_MIN_PREFIX = 4


def _where(filters: Mapping[str, _Filter]) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    for i, (column, wanted) in enumerate(filters.items()):
        if wanted is None:
            continue
        values = [wanted] if isinstance(wanted, str | int) else list(wanted)
        clauses.append(f'list_contains($p{i}, "{column}")')
        params[f"p{i}"] = values
    return (" AND ".join(clauses) or "TRUE"), params


def _write_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the file system refusing a write (disk full, permissions, ...)."""
    if isinstance(exc, (duckdb.IOException, duckdb.FatalException)):
        return True
    return isinstance(exc, duckdb.Error) and "Could not write" in str(exc)


def _json_scalar(value: Any) -> str:
    """Paths and dates in parameters are stored as text; anything else is an error."""
    if isinstance(value, Path | dt.date):
        return str(value)
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON-serialisable")


class Store:
    """The healthgap store in one DuckDB file (no server).

    Open it with :meth:`Store.open`, which creates the file and tables when absent; use it as
    a context manager to close it.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from healthgap.store import Store, schema
    >>> areas = pa.table({"area_code": ["E09000001"], "area_name": ["City of London"],
    ...                   "area_type": ["la"]})
    >>> with Store.open(":memory:") as store:
    ...     store.add_areas(areas)
    ...     store.areas().num_rows
    1
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, path: str, *, read_only: bool = False
    ) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only
        self._migrated = True

    # -- opening and transactions -------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path = "healthgap.duckdb", *, read_only: bool = False) -> Store:
        """Open the store at ``path``, creating the file and its tables if absent.

        Parameters
        ----------
        path : str or Path, default "healthgap.duckdb"
            The DuckDB file; ``":memory:"`` for a throwaway store.
        read_only : bool, default False
            Open for reading only: the file must exist, nothing is created, migrated or
            written (writes raise :class:`~healthgap.errors.StoreError`), and any number of
            read-only processes may read it at once; works on a file the user cannot write.

        Returns
        -------
        Store

        Raises
        ------
        StoreError
            If the path is a folder, a file that is not a DuckDB database (DuckDB would open
            it in memory and keep nothing), a DuckDB database that is not a healthgap store,
            absent when ``read_only``, or held by another process.

        Notes
        -----
        A store written by an earlier healthgap is migrated when opened for writing (one
        transaction): indicator metadata gains its source and every vintage a snapshot of
        its metadata, areas, hierarchy and boundaries (see :meth:`areas`).
        """
        path = str(path)
        _opening.check_path(path, read_only=read_only)
        if path != ":memory:" and not read_only:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder of store {path!r}: {exc.strerror or exc}"
                ) from exc
        try:
            con = duckdb.connect(path, read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {path!r}: {exc}") from exc
        try:
            tables = _opening.check_tables(con, path)
        except StoreError:
            con.close()
            raise
        con.execute("SET enable_progress_bar = false")
        store = cls(con, path, read_only=read_only)
        if read_only:
            store._migrated = "vintage_snapshots" in tables
            return store
        with store._transaction():
            for sql in _tables.all_create_sql():
                con.execute(sql)
            con.execute(_judgements.create_sql())
            _snapshots.migrate(con, tables)
        return store

    def cursor(self) -> Store:
        """Return this store on a cursor of its own connection, for another thread.

        The cursor shares the connection (and so its read-only mode and the layout the
        store was found in); close the original, not the cursors.
        """
        store = type(self)(self._con.cursor(), self.path, read_only=self.read_only)
        store._migrated = self._migrated
        return store

    def close(self) -> None:
        """Close the file (further calls fail)."""
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # Committed whole at the end, rolled back on any exception (KeyboardInterrupt too).
        # A killed process never reaches the commit, and DuckDB discards uncommitted work
        # when the file is next opened.
        if self.read_only:
            raise StoreError(f"the store {self.path!r} is open read-only: nothing can be written")
        self._con.begin()
        try:
            yield self._con
            self._con.commit()
        except BaseException as exc:
            # after a failed write DuckDB may have ended the transaction itself ("no
            # transaction is active", "transaction is aborted"): the write's own error is
            # the one to report
            with suppress(duckdb.Error):
                self._con.rollback()
            if _write_failure(exc):
                raise StoreError(
                    f"cannot write to the store {self.path!r}, which is left as it was: "
                    + " ".join(str(exc).split())
                ) from exc
            raise

    @contextmanager
    def _registered(self, name: str, table: pa.Table) -> Iterator[str]:
        self._con.register(name, table)
        try:
            yield name
        except BaseException:
            # a failed write (disk full) aborts the transaction, which then refuses even
            # this: the write's error is the one to report
            with suppress(duckdb.Error):
                self._con.unregister(name)
            raise
        self._con.unregister(name)

    def _arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        return self._con.sql(sql, params=dict(params or {})).to_arrow_table()

    # -- areas, population, indicators ----------------------------------------------------

    def add_areas(
        self,
        areas: pa.Table | None,
        hierarchy: pa.Table | None = None,
        classifications: pa.Table | None = None,
        geometry: pa.Table | None = None,
    ) -> None:
        """Add or replace areas, hierarchy links, classifications and boundaries, in one go.

        Rows replace stored rows with the same key (``area_code``; ``hierarchy, child_code``;
        ``classification, area_code``; ``area_code``), so adding the same tables twice changes
        nothing.

        Parameters
        ----------
        areas : pyarrow.Table or None
            Columns of :data:`~healthgap.store.schema.AREAS`.
        hierarchy, classifications, geometry : pyarrow.Table, optional
            Columns of ``HIERARCHY``, ``CLASSIFICATIONS`` and ``GEOMETRY`` (GeoJSON text).

        Raises
        ------
        InputError
            Missing or extra columns, wrong types, null or duplicate keys; nothing is written.
        """
        with self._transaction():
            self._add_areas(areas, hierarchy, classifications, geometry)

    def _add_areas(self, areas: Any, hierarchy: Any, classifications: Any, geometry: Any) -> None:
        for name, table in (
            ("areas", areas),
            ("hierarchy", hierarchy),
            ("classifications", classifications),
            ("geometry", geometry),
        ):
            if table is not None:
                self._upsert(name, table)

    def add_population(self, population: pa.Table) -> None:
        """Add or replace population rows (key ``area_code, year, sex, age``), in one go.

        Parameters
        ----------
        population : pyarrow.Table
            Columns of :data:`~healthgap.store.schema.POPULATION`; populations must be >= 0.
        """
        with self._transaction():
            self._upsert("population", population)

    def _upsert(self, name: str, data: Any) -> None:
        arrow_schema, keys = _tables.KEYED[name]
        table = _tables.conform(data, arrow_schema, name)
        if name == "population":
            negative = self._count_where(table, "population < 0 OR isnan(population)")
            if negative:
                raise InputError(
                    f"population: column 'population' must be a number >= 0: {negative:,} "
                    f"of {table.num_rows:,} rows fail"
                )
        key_list = ", ".join(keys)
        with self._registered("_new", table):
            dup = self._con.execute(
                f"SELECT {key_list}, count(*) AS n FROM _new GROUP BY ALL HAVING n > 1 "
                f"ORDER BY ALL LIMIT 5"
            ).fetchall()
            if dup:
                shown = "; ".join(", ".join(map(str, d[:-1])) for d in dup)
                raise InputError(f"{name}: duplicate keys ({key_list}): {shown}")
            on = " AND ".join(f"{name}.{k} = _new.{k}" for k in keys)
            self._con.execute(f"DELETE FROM {name} USING _new WHERE {on}")
            self._con.execute(f"INSERT INTO {name} SELECT * FROM _new")

    def _count_where(self, table: pa.Table, condition: str) -> int:
        with self._registered("_check", table):
            return self._con.execute(f"SELECT count_if({condition}) FROM _check").fetchall()[0][0]

    def add_indicators(self, indicators: Sequence[IndicatorMeta], *, source: str = "") -> None:
        """Add or replace indicator metadata (key ``source, id``), in one go.

        The definitions of one source never replace those of another: a Fingertips import
        reusing the id of a computed indicator keeps both. Vintages already written keep
        the metadata they were written with (see :meth:`indicators`).

        Parameters
        ----------
        indicators : sequence of IndicatorMeta
        source : str, default ""
            Where the definitions come from (a vintage's source, e.g. ``"fingertips"``);
            vintages of a source without definitions of their own use these.
        """
        with self._transaction():
            self._add_indicators(indicators, source=source)

    def _add_indicators(self, indicators: Sequence[IndicatorMeta], *, source: str) -> None:
        indicators = list(indicators)
        if not indicators:
            return
        wrong = [type(i).__name__ for i in indicators if not isinstance(i, IndicatorMeta)]
        if wrong:
            raise InputError(f"indicators must be IndicatorMeta objects; got {wrong[:5]}")
        by_id = {i.id: i for i in indicators}  # the last definition of an id wins
        table = pa.Table.from_pylist(
            [
                {
                    "indicator_id": i.id,
                    "name": i.name,
                    "method": i.method,
                    "polarity": i.polarity,
                    "multiplier": float(i.multiplier),
                    "unit": i.unit,
                    "fingertips_id": i.fingertips_id,
                    "meta": i.model_dump_json(),
                    "source": source,
                }
                for i in by_id.values()
            ],
            schema=_tables.INDICATORS,
        )
        with self._registered("_new", table):
            self._con.execute(
                "DELETE FROM indicators USING _new WHERE indicators.indicator_id = "
                "_new.indicator_id AND indicators.source = _new.source"
            )
            columns = ", ".join(f'"{c}"' for c in _tables.INDICATORS.names)
            self._con.execute(f"INSERT INTO indicators ({columns}) SELECT {columns} FROM _new")

    # -- vintages -----------------------------------------------------------------------

    def add_vintage(
        self,
        values: pa.Table,
        *,
        source: str,
        inputs: Sequence[InputFile | Path] = (),
        parameters: Mapping[str, Any] | None = None,
        indicators: Sequence[IndicatorMeta] = (),
        label: str = "",
        judgements: pa.Table | None = None,
    ) -> str:
        """Validate ``values`` and store them as a new immutable vintage; return its id.

        The id is the first 16 hex digits of a SHA-256 over the content: every cell of
        ``values`` (order-independent), ``parameters``, the inputs' SHA-256s and the healthgap
        version, and the source's judgements when there are any. Adding the same content
        again returns the same id and writes nothing.

        Parameters
        ----------
        values : pyarrow.Table
            Columns of :data:`~healthgap.store.schema.VALUES` (missing nullable columns are
            taken as null); integer counts are accepted for float columns.
        source : str
            Where the values come from (importer kind, ``"engine"``, ...).
        inputs : sequence of InputFile or Path
            Files the values were made from; paths are hashed here.
        parameters : mapping, optional
            Settings of the computation (JSON-serialisable), stored with the vintage.
        indicators : sequence of IndicatorMeta
            Metadata to add or replace in the same transaction.
        label : str
            Free text shown in ``vintages()`` (not part of the id).
        judgements : pyarrow.Table, optional
            The source's own published judgements of these values (columns of
            :data:`~healthgap.store.schema.JUDGEMENTS`; missing judgement columns are taken
            as null, empty texts are no judgement); kept with the vintage, see
            :meth:`judgements`.

        Returns
        -------
        str
            The vintage id.

        Raises
        ------
        InputError
            Wrong columns or types, null keys, duplicate keys, negative counts or
            denominators, NaN, limits not bracketing the value, area codes unknown to the
            store (when it has areas); judgements repeating a key or judging a value not in
            ``values``. Lists the first 20 problems and the total; nothing is written.
        """
        with self._transaction():
            self._add_indicators(indicators, source=source)
            return self._add_vintage(
                values,
                source=source,
                inputs=inputs,
                parameters=parameters,
                label=label,
                judgements=judgements,
            )

    def _add_vintage(
        self,
        values: Any,
        *,
        source: str,
        inputs: Sequence[InputFile | Path],
        parameters: Mapping[str, Any] | None,
        label: str,
        judgements: Any = None,
    ) -> str:
        table = _tables.conform(values, schema.VALUES, "values")
        judged = _judgements.conform(judgements)
        if table.num_rows == 0:
            raise InputError("values: the table has no rows; a vintage needs at least one value")
        files = [i if isinstance(i, InputFile) else InputFile.from_path(i) for i in inputs]
        try:
            params_json = json.dumps(dict(parameters or {}), sort_keys=True, default=_json_scalar)
        except (TypeError, ValueError) as exc:
            raise InputError(f"parameters must be JSON-serialisable: {exc}") from exc
        has_areas = self._con.execute("SELECT count(*) FROM areas").fetchall()[0][0] > 0
        with self._registered("_values", table) as view:
            n_rows, content = _validate.check_values(
                self._con, view, table, areas_table="areas" if has_areas else None
            )
            hashed = {
                "values": content,
                "parameters": params_json,
                "inputs": sorted(f.sha256 for f in files),
                "code_version": __version__,
            }
            if judged is not None:  # hashed only when present: other ids stay as they were
                with self._registered("_judged", judged) as judged_view:
                    hashed["judgements"] = _judgements.check(self._con, judged_view, view)
            digest = hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).hexdigest()
            ids = ("SELECT DISTINCT indicator_id FROM _values", {})
            snapshot = _snapshots.digests(
                self._con, ids_sql=ids[0], ids_params=ids[1], source=source
            )
            vintage_id, is_new = self._choose_id(digest, snapshot)
            if not is_new:
                return vintage_id
            seq = self._con.execute("SELECT coalesce(max(seq), 0) + 1 FROM vintages").fetchall()[0][
                0
            ]
            self._con.execute(
                "INSERT INTO vintages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    vintage_id,
                    seq,
                    dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    source,
                    label,
                    __version__,
                    params_json,
                    json.dumps([dataclasses.asdict(f) for f in files]),
                    n_rows,
                ],
            )
            _snapshots.take(self._con, vintage_id, ids_sql=ids[0], ids_params=ids[1], source=source)
            columns = ", ".join(f'"{f.name}"' for f in schema.VALUES)
            self._insert_values(vintage_id, columns, view)
            if judged is not None:
                with self._registered("_judged", judged) as judged_view:
                    _judgements.insert(self._con, vintage_id, judged_view)
        return vintage_id

    @staticmethod
    def _candidate_ids(digest: str, snapshot: Mapping[str, str]) -> tuple[str, ...]:
        """Return the ids this content may take, in order of preference.

        The content id; the id of content and snapshot without boundaries (what every store
        before frozen boundaries gave the same content with other metadata, so those ids
        are unchanged); the id of content and the whole snapshot.
        """
        revisions = (
            {k: v for k, v in snapshot.items() if k != "geometry"},
            dict(snapshot),
        )
        revised = [
            hashlib.sha256(
                json.dumps({"content": digest, "snapshot": s}, sort_keys=True).encode()
            ).hexdigest()[:_ID_LENGTH]
            for s in revisions
        ]
        return digest[:_ID_LENGTH], *revised

    def _choose_id(self, digest: str, snapshot: Mapping[str, str]) -> tuple[str, bool]:
        """Return the vintage id for this content and metadata, and whether it is new.

        The id is the content's (values, parameters, inputs, version), as it always was. The
        same content with other metadata, area names, hierarchy or boundaries than its
        vintage was written with is a different publication: it gets the id of content and
        snapshot together, so the first vintage stays exactly as it was published.
        """
        candidates = self._candidate_ids(digest, snapshot)
        for candidate in candidates:
            rows = self._con.execute(
                "SELECT count(*) FROM vintages WHERE id = ?", [candidate]
            ).fetchall()
            if not rows[0][0]:
                return candidate, True
            if _snapshots.of(self._con, candidate) == dict(snapshot):
                return candidate, False
        return candidates[-1], False  # the last id is made of this very snapshot

    def _insert_values(self, vintage_id: str, columns: str, view: str) -> None:
        self._con.execute(
            f"INSERT INTO indicator_values SELECT ? AS vintage_id, {columns} FROM {view}",
            [vintage_id],
        )

    def load(
        self, imported: Any, *, label: str = "", parameters: Mapping[str, Any] | None = None
    ) -> str | None:
        """Write everything an importer returned in ONE transaction; return the vintage id.

        Areas, hierarchy, classifications, geometry, population and indicators are upserted,
        then the values (if any) become a vintage; a failure anywhere writes nothing.

        Parameters
        ----------
        imported : healthgap.sources.Imported
            Optional tables ``areas, hierarchy, classifications, geometry, population,
            values, judgements`` (the source's own judgements of the values), and
            ``indicators``, ``inputs``, ``source``.
        label : str
            Label of the vintage.
        parameters : mapping, optional
            Stored with the vintage (e.g. the importer's options).

        Returns
        -------
        str or None
            The vintage id, or None when the import has no values.
        """

        def part(name: str) -> Any:
            return getattr(imported, name, None)

        with self._transaction():
            self._add_areas(
                part("areas"), part("hierarchy"), part("classifications"), part("geometry")
            )
            if part("population") is not None:
                self._upsert("population", part("population"))
            self._add_indicators(part("indicators") or (), source=part("source") or "import")
            if part("values") is None:
                return None
            return self._add_vintage(
                part("values"),
                source=part("source") or "import",
                inputs=part("inputs") or (),
                parameters=parameters,
                label=label,
                judgements=part("judgements"),
            )

    def vintages(self) -> pa.Table:
        """Every vintage, oldest first.

        Returns
        -------
        pyarrow.Table
            ``id, created_at`` (UTC), ``source, label, code_version, parameters`` (JSON),
            ``inputs`` (JSON list of name, size, sha256), ``n_values``.
        """
        cols = [n for n in _tables.VINTAGES.names if n != "seq"]
        return self._arrow(f"SELECT {', '.join(cols)} FROM vintages ORDER BY seq")

    def vintage(self, ref: str | None = None) -> dict[str, Any]:
        """Return one vintage's record as a dict.

        Parameters
        ----------
        ref : str, optional
            Id, unique prefix or ``"latest"``; None for the latest vintage.

        Returns
        -------
        dict
            The columns of :meth:`vintages`, and ``indicator_ids``: the sorted ids of the
            indicators it holds values for.
        """
        vintage_id = self.resolve(ref)
        cols = [n for n in _tables.VINTAGES.names if n != "seq"]
        table = self._arrow(
            f"SELECT {', '.join(cols)} FROM vintages WHERE id = $id", {"id": vintage_id}
        )
        record = table.to_pylist()[0]
        ids = self._con.execute(
            "SELECT DISTINCT indicator_id FROM indicator_values WHERE vintage_id = ? ORDER BY ALL",
            [vintage_id],
        ).fetchall()
        record["indicator_ids"] = [row[0] for row in ids]
        return record

    def resolve(self, ref: str | None = None) -> str:
        """Return the full id of vintage ``ref``.

        ``ref`` is an id, a unique prefix (at least 4 digits), ``"latest"`` or None (latest).

        Raises
        ------
        StoreError
            If the store has no vintages, or ``ref`` matches none or several.
        """
        if ref is None or ref == "latest":
            rows = self._con.execute("SELECT id FROM vintages ORDER BY seq DESC LIMIT 1").fetchall()
            if not rows:
                raise StoreError(f"the store {self.path!r} has no vintages yet")
            return rows[0][0]
        if len(ref) < _MIN_PREFIX:
            raise StoreError(f"vintage id {ref!r} is too short: give at least {_MIN_PREFIX} digits")
        rows = self._con.execute(
            "SELECT id FROM vintages WHERE starts_with(id, ?) ORDER BY seq", [ref]
        ).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if rows:
            raise StoreError(f"vintage {ref!r} is ambiguous: matches {[r[0] for r in rows][:5]}")
        recent = [
            r[0]
            for r in self._con.execute(
                "SELECT id FROM vintages ORDER BY seq DESC LIMIT 5"
            ).fetchall()
        ]
        raise StoreError(f"vintage {ref!r} not found; most recent: {recent}")

    def values(
        self,
        vintage: str | None = None,
        *,
        indicator_id: _Filter = None,
        area_code: _Filter = None,
        period: _Filter = None,
        sex: _Filter = None,
        age: _Filter = None,
        category_type: _Filter = None,
        category: _Filter = None,
    ) -> pa.Table:
        """Return the values of one vintage (default: the latest), optionally filtered.

        Parameters
        ----------
        vintage : str, optional
            Id or unique prefix; None for the latest vintage.
        indicator_id, area_code, period, sex, age, category_type, category : str or list
            Keep rows whose column equals the value or one of the values.

        Returns
        -------
        pyarrow.Table
            Columns of :data:`~healthgap.store.schema.VALUES`, sorted by the key columns.
        """
        vintage_id = self.resolve(vintage)
        where, params = _where(
            {
                "indicator_id": indicator_id,
                "area_code": area_code,
                "period": period,
                "sex": sex,
                "age": age,
                "category_type": category_type,
                "category": category,
            }
        )
        params["vintage"] = vintage_id
        columns = ", ".join(f'"{f.name}"' for f in schema.VALUES)
        keys = ", ".join(f'"{k}"' for k in schema.VALUE_KEYS)
        table = self._arrow(
            f"SELECT {columns} FROM indicator_values WHERE vintage_id = $vintage AND {where} "
            f"ORDER BY {keys}",
            params,
        )
        return table.cast(schema.VALUES)

    def diff(self, old: str, new: str) -> pa.Table:
        """Return what changed between two vintages: added, removed and revised values.

        A value is revised when its value, a limit, count, denominator or value note differs
        (nulls compare equal to nulls); unchanged values are left out.

        Parameters
        ----------
        old, new : str
            Vintage ids or unique prefixes.

        Returns
        -------
        pyarrow.Table
            The key columns, ``old_value, new_value, abs_change`` (new - old),
            ``rel_change`` ((new - old) / abs(old); null when old is 0 or null),
            ``old_count, new_count`` and ``status`` (added / removed / revised), sorted by key.
        """
        old_id, new_id = self.resolve(old), self.resolve(new)
        keys = schema.VALUE_KEYS
        on = " AND ".join(f'o."{k}" = n."{k}"' for k in keys)
        key_cols = ", ".join(f'coalesce(n."{k}", o."{k}") AS "{k}"' for k in keys)
        compared = (
            "value",
            *LIMITS,
            "count",
            "denominator",
            "value_note",
        )
        changed = " OR ".join(f'o."{c}" IS DISTINCT FROM n."{c}"' for c in compared)
        return self._arrow(
            f"""
            WITH o AS (SELECT * FROM indicator_values WHERE vintage_id = $old),
                 n AS (SELECT * FROM indicator_values WHERE vintage_id = $new)
            SELECT {key_cols},
                   o.value AS old_value, n.value AS new_value,
                   n.value - o.value AS abs_change,
                   CASE WHEN o.value <> 0 THEN (n.value - o.value) / abs(o.value) END
                       AS rel_change,
                   o."count" AS old_count, n."count" AS new_count,
                   CASE WHEN o.vintage_id IS NULL THEN 'added'
                        WHEN n.vintage_id IS NULL THEN 'removed'
                        ELSE 'revised' END AS status
            FROM o FULL OUTER JOIN n ON {on}
            WHERE o.vintage_id IS NULL OR n.vintage_id IS NULL OR {changed}
            ORDER BY ALL
            """,
            {"old": old_id, "new": new_id},
        )

    def judgements(self, vintage: str | None = None, *, indicator_id: _Filter = None) -> pa.Table:
        """Return the source's own published judgements of a vintage's values (none for most).

        Parameters
        ----------
        vintage : str, optional
            Id or unique prefix; None for the latest vintage.
        indicator_id : str or list of str, optional

        Returns
        -------
        pyarrow.Table
            Columns of :data:`~healthgap.store.schema.JUDGEMENTS`, sorted by the value keys:
            one row per value the source judged, as the source worded it. These are the
            stored judgements: publish them through disclosure control, which withholds the
            judgement of a withheld value.
        """
        vintage_id = self.resolve(vintage)
        if not self._has_table(_judgements.TABLE):  # a store read as written before them
            return schema.JUDGEMENTS.empty_table()
        where, params = _where({"indicator_id": indicator_id})
        columns = ", ".join(f'"{c}"' for c in schema.JUDGEMENTS.names)
        keys = ", ".join(f'"{k}"' for k in schema.VALUE_KEYS)
        return self._arrow(
            f"SELECT {columns} FROM {_judgements.TABLE} WHERE vintage_id = $vintage AND {where} "
            f"ORDER BY {keys}",
            params | {"vintage": vintage_id},
        ).cast(schema.JUDGEMENTS)

    def _has_table(self, name: str) -> bool:
        return bool(
            self._con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_name = ?",
                [name],
            ).fetchall()[0][0]
        )

    # -- reading areas and the rest -----------------------------------------------------

    def _table(
        self, name: str, vintage: str | None, param: str = "digest"
    ) -> tuple[str, dict[str, Any]]:
        """Return the SQL source of table ``name`` as ``vintage`` published it (None: now).

        The snapshot's digest is the query parameter ``param``.
        """
        if vintage is None or not self._migrated:
            if vintage is not None:
                self.resolve(vintage)  # unknown vintages are errors even before migration
            return name, {}
        found = _snapshots.of(self._con, self.resolve(vintage))
        if found is None:
            return name, {}
        if found[name] is None:  # boundaries of a store read as written before they froze
            return name, {}
        if name == "geometry":
            return _boundaries.source_sql(param), {param: found[name]}
        snap = _snapshots.KINDS[name][0]
        return f"(SELECT * EXCLUDE (digest) FROM {snap} WHERE digest = ${param})", {
            param: found[name]
        }

    def _read(
        self,
        name: str,
        arrow_schema: pa.Schema,
        filters: Mapping[str, _Filter],
        order: str,
        vintage: str | None = None,
    ) -> pa.Table:
        where, params = _where(filters)
        source, extra = self._table(name, vintage) if name in _snapshots.FROZEN else (name, {})
        columns = ", ".join(f'"{c}"' for c in arrow_schema.names)
        table = self._arrow(
            f"SELECT {columns} FROM {source} WHERE {where} ORDER BY {order}", params | extra
        )
        return table.cast(arrow_schema)

    def areas(self, area_type: _Filter = None, *, vintage: str | None = None) -> pa.Table:
        """Areas (columns of ``AREAS``), optionally of one type or several, sorted by code.

        Parameters
        ----------
        area_type : str or list of str, optional
        vintage : str, optional
            Id or unique prefix: the areas as that vintage was published with (names and
            types are frozen with each vintage); None for the areas as they are now.
        """
        return self._read(
            "areas", schema.AREAS, {"area_type": area_type}, "area_code", vintage=vintage
        )

    def area(self, code: str, *, vintage: str | None = None) -> dict[str, Any]:
        """One area's row as a dict (as of ``vintage`` when given).

        Raises
        ------
        StoreError
            If the code is not in the store.
        """
        rows = self._read(
            "areas", schema.AREAS, {"area_code": code}, "area_code", vintage=vintage
        ).to_pylist()
        if not rows:
            raise StoreError(f"area {code!r} is not in the store {self.path!r}")
        return rows[0]

    def parents(
        self, code: str, hierarchy: str | None = None, *, vintage: str | None = None
    ) -> pa.Table:
        """Return the ancestors of area ``code`` in each hierarchy (or one), nearest first.

        ``vintage`` reads the hierarchy and names that vintage was published with.

        Returns
        -------
        pyarrow.Table
            ``hierarchy, level`` (1 = parent, 2 = grandparent, ...), ``area_code,
            area_name, area_type`` (names null when the parent is not in ``areas``).
        """
        where, params = _where({"hierarchy": hierarchy})
        params["code"] = code
        links, extra = self._table("hierarchy", vintage, "links")
        names, extra_names = self._table("areas", vintage, "names")
        return self._arrow(
            f"""
            WITH RECURSIVE h AS (SELECT * FROM {links} WHERE {where}),
            up(hierarchy, level, area_code) AS (
                SELECT hierarchy, 1, parent_code FROM h WHERE child_code = $code
                UNION ALL
                SELECT up.hierarchy, up.level + 1, h.parent_code
                FROM up JOIN h ON h.hierarchy = up.hierarchy AND h.child_code = up.area_code
                WHERE up.level < 32
            )
            SELECT up.hierarchy, up.level, up.area_code, a.area_name, a.area_type
            FROM up LEFT JOIN {names} a USING (area_code)
            ORDER BY up.hierarchy, up.level
            """,
            params | extra | extra_names,
        )

    def hierarchy(self, name: _Filter = None, *, vintage: str | None = None) -> pa.Table:
        """Hierarchy links (columns of ``HIERARCHY``), optionally of named versions.

        ``vintage`` reads the links that vintage was published with (None: as they are now).
        """
        return self._read(
            "hierarchy",
            schema.HIERARCHY,
            {"hierarchy": name},
            "hierarchy, child_code",
            vintage=vintage,
        )

    def classifications(self, name: _Filter = None) -> pa.Table:
        """Classification memberships (``CLASSIFICATIONS``), optionally of named ones."""
        return self._read(
            "classifications",
            schema.CLASSIFICATIONS,
            {"classification": name},
            "classification, area_code",
        )

    def geometry(self, area_code: _Filter = None, *, vintage: str | None = None) -> pa.Table:
        """Boundaries as GeoJSON text (columns of ``GEOMETRY``), sorted by area code.

        Parameters
        ----------
        area_code : str or list of str, optional
        vintage : str, optional
            Id or unique prefix: the boundaries that vintage was published with (frozen with
            it, so a later boundary import changes none of its maps); None for the
            boundaries as they are now.
        """
        return self._read(
            "geometry", schema.GEOMETRY, {"area_code": area_code}, "area_code", vintage=vintage
        )

    def population(
        self,
        *,
        area_code: _Filter = None,
        year: _Filter = None,
        sex: _Filter = None,
        age: _Filter = None,
    ) -> pa.Table:
        """Return populations (``POPULATION`` columns), optionally filtered, sorted by key."""
        return self._read(
            "population",
            schema.POPULATION,
            {"area_code": area_code, "year": year, "sex": sex, "age": age},
            "area_code, year, sex, age_start, age",
        )

    def indicators(
        self, *, vintage: str | None = None, source: str | None = None
    ) -> list[IndicatorMeta]:
        """Return indicator metadata, sorted by id.

        Parameters
        ----------
        vintage : str, optional
            Id or unique prefix: the metadata that vintage was published with, one
            definition per id (frozen with the vintage, disclosure rule included).
        source : str, optional
            Without ``vintage``: only the definitions of this source.

        Returns
        -------
        list of IndicatorMeta
            With ``vintage``, its indicators. Without, the current definitions of every
            source: ids are kept per source, so an id defined by two sources (a computed
            indicator and a Fingertips import reusing its id) appears once for each, the
            source's own first (sorted by id, then source).
        """
        if vintage is not None:
            table, params = self._table("indicators", vintage)
            rows = self._con.execute(
                f"SELECT meta FROM {table} ORDER BY indicator_id", params
            ).fetchall()
        elif not self._migrated:
            rows = self._con.execute("SELECT meta FROM indicators ORDER BY indicator_id").fetchall()
        else:
            where, params = _where({"source": source})
            rows = self._con.execute(
                f"SELECT meta FROM indicators WHERE {where} ORDER BY indicator_id, source", params
            ).fetchall()
        return [IndicatorMeta.model_validate_json(r[0]) for r in rows]

    def indicator(self, indicator_id: str, *, vintage: str | None = None) -> IndicatorMeta:
        """One indicator's metadata (as ``vintage`` published it, when given).

        Without ``vintage``, an id defined by several sources gives the definition of the
        source whose vintage was written last.

        Raises
        ------
        StoreError
            If the id is not in the store (or not in the vintage).
        """
        if vintage is not None:
            table, params = self._table("indicators", vintage)
            rows = self._con.execute(
                f"SELECT meta FROM {table} WHERE indicator_id = $id", params | {"id": indicator_id}
            ).fetchall()
        elif not self._migrated:
            rows = self._con.execute(
                "SELECT meta FROM indicators WHERE indicator_id = ?", [indicator_id]
            ).fetchall()
        else:
            rows = self._con.execute(
                """
                SELECT i.meta FROM indicators i
                LEFT JOIN (SELECT source, max(seq) AS seq FROM vintages GROUP BY source) v
                    USING (source)
                WHERE i.indicator_id = ? ORDER BY v.seq DESC NULLS LAST, i.source LIMIT 1
                """,
                [indicator_id],
            ).fetchall()
        if not rows:
            where = f"vintage {self.resolve(vintage)}" if vintage else f"the store {self.path!r}"
            raise StoreError(f"indicator {indicator_id!r} is not in {where}")
        return IndicatorMeta.model_validate_json(rows[0][0])
