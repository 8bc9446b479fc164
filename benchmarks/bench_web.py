"""The web tool under load: ``healthgap serve`` on a national-size store, 50 concurrent clients.

A seeded national store (England, 9 regions, 317 local authorities and 6,790 MSOAs; 60
indicators over 10 years and 2 sexes: about 9 million values at ``--scale 1``) is written once
to ``bench-output/web-<scale>/store.duckdb``. The server runs in its own process (uvicorn, one
worker, the store read-only); 50 clients on 127.0.0.1 each loop over the endpoint mix for 60 s
(``HEALTHGAP_BENCH_WEB_SECONDS``), each request waiting for the one before (a bounded request
loop). Printed: p50/p95/p99 latency and errors per endpoint (goal: p95 < 100 ms, no errors),
the server's memory over the run (goal: flat), the CSV endpoint against DuckDB's own ``COPY``
of the same rows, and the bytes the dashboard's first load transfers (goal: < 1 MB).

``python -m benchmarks web --scale 0.05`` runs it at a twentieth of the size.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
SEED = 16
CLIENTS = 50
REGIONS = 9
LAS = 317
MSOAS = 6790
INDICATORS = 60
YEARS = range(2014, 2024)
SEXES = ("Male", "Female")


def _areas(scale: float) -> tuple[pa.Table, pa.Table]:
    n_la = max(REGIONS, round(LAS * min(scale, 1.0) ** 0.5))
    n_msoa = max(n_la, round(MSOAS * scale))
    codes = ["E92000001"]
    names = ["England"]
    types = ["country"]
    children, parents = [], []
    regions = [f"E120000{i + 1:02d}" for i in range(REGIONS)]
    for i, code in enumerate(regions):
        codes.append(code)
        names.append(f"Region {i + 1}")
        types.append("region")
        children.append(code)
        parents.append("E92000001")
    las = [f"E0{6000001 + i:07d}" for i in range(n_la)]
    for i, code in enumerate(las):
        codes.append(code)
        names.append(f"Local authority {i + 1}")
        types.append("la")
        children.append(code)
        parents.append(regions[i % REGIONS])
    for i in range(n_msoa):
        code = f"E0{2000001 + i:07d}"
        codes.append(code)
        names.append(f"MSOA {i + 1}")
        types.append("msoa")
        children.append(code)
        parents.append(las[i % n_la])
    areas = pa.table({"area_code": codes, "area_name": names, "area_type": types})
    hierarchy = pa.table(
        {
            "hierarchy": ["msoa-la-region"] * len(children),
            "child_code": children,
            "parent_code": parents,
        }
    )
    return areas, hierarchy


def _values(codes: list[str], seed: int) -> pa.Table:
    """Every indicator x area x year x sex: seeded rates per 100,000 with Byar-like limits."""
    rng = np.random.default_rng(seed)
    n_area, n_year, n_sex = len(codes), len(YEARS), len(SEXES)
    n = INDICATORS * n_area * n_year * n_sex
    i = np.arange(n)
    sex, rest = i % n_sex, i // n_sex
    year, rest = rest % n_year, rest // n_year
    area, indicator = rest % n_area, rest // n_area
    denominator = np.where(area == 0, 5e7, np.where(area < 10, 5e6, 2e4)).astype(float)
    count = rng.poisson(60, n).astype(float)
    count[rng.random(n) < 0.01] = 3.0  # small counts: withheld by disclosure control
    value = count / denominator * 1e5
    half = 1.96 * np.sqrt(np.maximum(count, 1)) / denominator * 1e5
    years = np.array(list(YEARS), dtype=np.int32)[year]
    return pa.table(
        {
            "indicator_id": pa.array([f"ind{k:02d}" for k in range(INDICATORS)]).take(indicator),
            "area_code": pa.array(codes).take(area),
            "period": pa.array(years.astype(str)),
            "period_start": years,
            "period_years": np.ones(n, dtype=np.int16),
            "sex": pa.array(list(SEXES)).take(sex),
            "age": pa.array(["All ages"] * n),
            "category_type": pa.array([""] * n),
            "category": pa.array([""] * n),
            "value": value,
            "lower95_0cl": np.maximum(value - half, 0),
            "upper95_0cl": value + half,
            "lower99_8cl": np.maximum(value - 1.6 * half, 0),
            "upper99_8cl": value + 1.6 * half,
            "count": count,
            "denominator": denominator,
            "value_note": pa.nulls(n, pa.string()),
        }
    )


def national_store(scale: float) -> Path:
    """Write (once) and return the benchmark's store."""
    from healthgap.catalogue.metadata import IndicatorMeta
    from healthgap.store import Store

    folder = ROOT / "bench-output" / f"web-{scale:g}-seed{SEED}"
    path = folder / "store.duckdb"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    areas, hierarchy = _areas(scale)
    values = _values(areas["area_code"].to_pylist(), SEED)
    metas = [
        IndicatorMeta(
            id=f"ind{k:02d}",
            name=f"Indicator {k}",
            multiplier=100000,
            unit="per 100,000",
            polarity="low_is_good",
        )
        for k in range(INDICATORS)
    ]
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with Store.open(partial) as store:
        store.add_areas(areas, hierarchy=hierarchy)
        store.add_vintage(
            values,
            source="web benchmark (synthetic)",
            indicators=metas,
            parameters={"synthetic": True, "seed": SEED},
            label="national",
        )
    partial.rename(path)
    print(
        f"web: wrote {values.num_rows:,} values, {areas.num_rows:,} areas in "
        f"{time.perf_counter() - started:.0f} s ({path})",
        flush=True,
    )
    return path


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(store: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "HEALTHGAP_STORE": str(store), "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "healthgap.publish.web.app:from_environment",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    import httpx

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/vintages", timeout=5).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server did not start within 600 s")


def _mix(las: list[str], regions: list[str], numbers: list[int]) -> list[tuple[str, str]]:
    """(endpoint name, URL) pairs the clients draw from."""
    rng = random.Random(SEED)
    out = []
    for _ in range(400):
        ind = f"ind{rng.randrange(INDICATORS):02d}"
        la, region = rng.choice(las), rng.choice(regions)
        out += [
            ("values json (one area)", f"/api/v1/values?indicator={ind}&area={la}"),
            (
                "values json (las, latest)",
                f"/api/v1/values?indicator={ind}&area_type=la&period=latest&limit=1000",
            ),
            (
                "comparisons (region's las)",
                f"/api/v1/comparisons?indicator={ind}&parent={region}&period=latest",
            ),
            ("values csv (las)", f"/api/v1/values?indicator={ind}&area_type=la&format=csv"),
            (
                "fingertips all_data csv",
                f"/api/all_data/csv/by_indicator_id?indicator_ids={rng.choice(numbers)}"
                "&child_area_type_id=502&parent_area_type_id=6",
            ),
            ("indicators", "/api/v1/indicators"),
            ("dashboard: area profile", f"/area-{rng.choice(las[:40])}.html"),
            ("dashboard: overview", "/index.html"),
        ]
    return out


async def _load(base: str, mix: list[tuple[str, str]], seconds: float) -> dict[str, list]:
    import httpx

    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def one_client(k: int) -> None:
            rng = random.Random(k)
            while time.monotonic() < stop:
                name, url = rng.choice(mix)
                t0 = time.perf_counter()
                try:
                    response = await client.get(url, headers={"accept-encoding": "gzip"})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.setdefault(name, []).append(time.perf_counter() - t0)
                if not ok:
                    errors[name] = errors.get(name, 0) + 1

        await asyncio.gather(*(one_client(k) for k in range(CLIENTS)))
    return {name: [times, errors.get(name, 0)] for name, times in latencies.items()}


def _memory_sampler(pid: int, samples: list[float], stop: list[bool]) -> None:
    import psutil

    process = psutil.Process(pid)
    while not stop[0]:
        samples.append(process.memory_info().rss / 2**20)
        time.sleep(1)


def _first_load_bytes(base: str) -> int:
    import re

    import httpx

    headers = {"accept-encoding": "gzip"}
    page = httpx.get(f"{base}/", headers=headers, timeout=120)
    total = page.num_bytes_downloaded
    for asset in re.findall(r'(?:src|href)="(static/[^"]+)"', page.text):
        total += httpx.get(f"{base}/{asset}", headers=headers, timeout=60).num_bytes_downloaded
    return total


def _csv_against_copy(base: str, store: Path, areas_la: int) -> None:
    import httpx

    url = f"{base}/api/v1/values?indicator=ind07&area_type=la&format=csv"
    httpx.get(url, timeout=120)  # warm: the indicator's published values are cached

    def ours() -> bytes:
        return httpx.get(url, timeout=120).content

    con = duckdb.connect(str(store), read_only=True)
    target = Path(tempfile.mkdtemp()) / "copy.csv"

    def theirs() -> None:
        con.execute(
            f"COPY (SELECT v.* EXCLUDE (vintage_id) FROM indicator_values v JOIN areas a "
            f"USING (area_code) WHERE v.indicator_id = 'ind07' AND a.area_type = 'la' "
            f"ORDER BY ALL) TO '{target}' (HEADER)"
        )

    from benchmarks._harness import median_seconds

    rows = ours().count(b"\n") - 1
    theirs()
    t_ours, t_copy = median_seconds(ours), median_seconds(theirs)
    con.close()
    print(
        f"csv endpoint ({rows:,} rows, {areas_la} areas) healthgap {t_ours * 1e3:7.1f} ms  "
        f"DuckDB COPY {t_copy * 1e3:7.1f} ms  ratio {t_ours / t_copy:5.1f}x "
        "(ours: HTTP, disclosure applied, spreadsheet-safe)"
    )


def run(scale: float = 1.0) -> None:
    """Build (or reuse) the store at ``scale``, load the server and print the tables."""
    seconds = float(os.environ.get("HEALTHGAP_BENCH_WEB_SECONDS", "60"))
    store = national_store(scale)
    con = duckdb.connect(str(store), read_only=True)
    n_values = con.execute("SELECT count(*) FROM indicator_values").fetchone()[0]
    las = [r[0] for r in con.execute("SELECT area_code FROM areas WHERE area_type='la'").fetchall()]
    regions = [
        r[0] for r in con.execute("SELECT area_code FROM areas WHERE area_type='region'").fetchall()
    ]
    con.close()
    started = time.perf_counter()
    process, base = _start(store)
    print(
        f"web: {n_values:,} values; server up in {time.perf_counter() - started:.1f} s", flush=True
    )
    try:
        import httpx

        meta = httpx.get(f"{base}/api/indicator_metadata/all", timeout=120).json()
        numbers = [int(k) for k in meta]
        mix = _mix(las, regions, numbers)
        warm = time.perf_counter()
        for k in range(INDICATORS):  # each indicator's published, judged values, once
            httpx.get(f"{base}/api/v1/comparisons?indicator=ind{k:02d}&limit=1", timeout=600)
        print(
            f"web: first read of all {INDICATORS} indicators (disclosure, judgements) "
            f"{time.perf_counter() - warm:.1f} s",
            flush=True,
        )
        samples: list[float] = []
        stop = [False]
        import threading

        sampler = threading.Thread(target=_memory_sampler, args=(process.pid, samples, stop))
        sampler.start()
        results = asyncio.run(_load(base, mix, seconds))
        stop[0] = True
        sampler.join()
        total = sum(len(t) for t, _ in results.values())
        print(f"{CLIENTS} clients x {seconds:.0f} s: {total:,} requests ({total / seconds:,.0f}/s)")
        print(f"{'endpoint':<30} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for name, (times, errors) in sorted(results.items()):
            q = np.quantile(np.array(times) * 1e3, [0.5, 0.95, 0.99])
            print(f"{name:<30} {len(times):>7,} {q[0]:>8.1f} {q[1]:>8.1f} {q[2]:>8.1f} {errors:>7}")
        third = max(1, len(samples) // 3)
        print(
            f"server memory: {statistics.mean(samples[:third]):,.0f} MB in the first third, "
            f"{statistics.mean(samples[-third:]):,.0f} MB in the last (max "
            f"{max(samples):,.0f} MB)"
        )
        _csv_against_copy(base, store, len(las))
        size = _first_load_bytes(base)
        print(f"dashboard first load: {size / 1e3:,.0f} kB transferred (gzip), goal < 1,000 kB")
    finally:
        process.terminate()
        process.wait(timeout=30)
