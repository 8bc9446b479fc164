"""The web tool under load: ``healthgap serve`` on a national-size store, 50 concurrent clients.

A seeded national store (England, 9 regions, 317 local authorities and 6,790 MSOAs; 60
indicators over 10 years and 2 sexes: about 9 million values at ``--scale 1``) is written once
to ``bench-output/web-<scale>-seed16/store.duckdb``. The server is ``healthgap serve`` in its
own process (the store read-only); the load generator is another process (raw asyncio
streams, one keep-alive HTTP/1.1 connection per client, so it costs the shared cores little):
50 clients each send a request, wait for its response, and send the next, for 60 s
(``HEALTHGAP_BENCH_WEB_SECONDS``). Each request is drawn from the endpoint mix (``MIX``: the
dashboard's pages and data, API v1, the Fingertips-compatible CSV and metadata) with its
parameters drawn afresh from the store's indicators and areas.

Printed: p50/p95/p99 latency and errors per endpoint (goal: p95 < 100 ms, no errors, with
the first failures named), throughput, the server's memory over the run (goal: flat), the
CSV endpoint against DuckDB's own ``COPY`` of the same rows, and the bytes the dashboard's
first load transfers (goal: < 1 MB). Results and the machine they ran on: ``README.md``.

``python -m benchmarks web --scale 0.05`` runs it at a twentieth of the size.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _get(port: int, path: str, timeout: float = 600) -> tuple[int, dict[str, str], bytes]:
    """One GET with http.client (status, headers, body as sent: maybe gzip)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _start(store: Path, workers: int, cache_mb: float) -> tuple[subprocess.Popen, int]:
    """``healthgap serve`` on a free port, waiting until it answers."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "healthgap", "serve", "--store", str(store)]
    command += ["--port", str(port), "--workers", str(workers), "--cache-mb", f"{cache_mb:g}"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if _get(port, "/api/v1/vintages", timeout=5)[0] == 200:
                return process, port
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server did not start within 600 s")


@dataclass(frozen=True)
class Draws:
    """What the clients' random parameters are drawn from (read from the store)."""

    indicators: list[str]
    numbers: list[int]  # the indicators' Fingertips-compatible numbers
    las: list[str]
    regions: list[str]


#: The endpoint mix, as (name, weight): what the dashboard's pages and script and a
#: fingertips_py script request. Each request draws its parameters afresh.
MIX = (
    ("dashboard: overview", 2),
    ("dashboard: area profile", 3),
    ("dashboard: area data json", 2),
    ("dashboard: indicator page", 2),
    ("values json (one area)", 3),
    ("values json (las, latest)", 2),
    ("comparisons (region's las)", 2),
    ("values csv (las)", 1),
    ("indicators", 1),
    ("fingertips all_data csv", 1),
    ("fingertips metadata", 1),
)


def _url(name: str, rng: random.Random, draws: Draws) -> str:
    """A request of the endpoint ``name`` with parameters drawn by ``rng``."""
    ind, la = rng.choice(draws.indicators), rng.choice(draws.las)
    urls = {
        "dashboard: overview": lambda: "/index.html",
        "dashboard: area profile": lambda: f"/area-{la}.html",
        "dashboard: area data json": lambda: f"/data/area-{la}.json",
        "dashboard: indicator page": lambda: f"/indicator-{ind}.html",
        "values json (one area)": lambda: f"/api/v1/values?indicator={ind}&area={la}",
        "values json (las, latest)": lambda: (
            f"/api/v1/values?indicator={ind}&area_type=la&period=latest&limit=1000"
        ),
        "comparisons (region's las)": lambda: (
            f"/api/v1/comparisons?indicator={ind}&parent={rng.choice(draws.regions)}&period=latest"
        ),
        "values csv (las)": lambda: f"/api/v1/values?indicator={ind}&area_type=la&format=csv",
        "indicators": lambda: "/api/v1/indicators",
        "fingertips all_data csv": lambda: (
            f"/api/all_data/csv/by_indicator_id?indicator_ids={rng.choice(draws.numbers)}"
            "&child_area_type_id=502&parent_area_type_id=6"
        ),
        "fingertips metadata": lambda: "/api/indicator_metadata/all",
    }
    return urls[name]()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; return its status and whether the server keeps the
    connection open. The body is read (Content-Length or chunked) and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (x.partition(b":") for x in lines[1:] if x)
    }
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)  # the chunk and its CRLF
            if size == 0:
                break
    return status, headers.get(b"connection", b"").lower() != b"close"


async def _clients(port: int, draws: Draws, seconds: float, clients: int) -> dict:
    """``clients`` keep-alive connections, each sending a request when the last is answered."""
    names = [n for n, _ in MIX]
    weights = [w for _, w in MIX]
    latencies: dict[str, list[float]] = {n: [] for n in names}
    errors: dict[str, int] = dict.fromkeys(names, 0)
    examples: list[str] = []
    stop = time.monotonic() + seconds

    async def one_client(k: int) -> None:
        rng = random.Random(SEED * 1000 + k)
        connection = None
        while time.monotonic() < stop:
            name = rng.choices(names, weights)[0]
            url = _url(name, rng, draws)
            request = (
                f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n"
            ).encode()
            t0 = time.perf_counter()
            try:
                if connection is None:
                    connection = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = connection
                writer.write(request)
                await writer.drain()
                status, keep = await _read_response(reader)
                failure = None if status == 200 else f"HTTP {status}"
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                status, keep, failure = 0, False, f"{type(error).__name__}: {error}"
            latencies[name].append(time.perf_counter() - t0)
            if failure is not None:
                errors[name] += 1
                if len(examples) < 10:
                    examples.append(f"{name}: GET {url} -> {failure}")
            if not keep and connection is not None:
                connection[1].close()
                connection = None
        if connection is not None:
            connection[1].close()

    await asyncio.gather(*(one_client(k) for k in range(clients)))
    return {"latencies": latencies, "errors": errors, "examples": examples}


def _load_process(port: int, draws: Draws, seconds: float, clients: int, out: Any) -> None:
    """The load generator's process: its own interpreter, so it takes no time of the server's."""
    out.put(asyncio.run(_clients(port, draws, seconds, clients)))


def _memory_sampler(pid: int, samples: list[float], stop: threading.Event) -> None:
    """The server's resident memory (every process of it, MB) once a second."""
    import psutil

    process = psutil.Process(pid)
    while not stop.is_set():
        try:
            tree = [process, *process.children(recursive=True)]
            samples.append(sum(p.memory_info().rss for p in tree) / 2**20)
        except psutil.Error:
            pass
        stop.wait(1)


def _first_load_bytes(port: int) -> int:
    """Bytes of the overview page and every static file it links (gzip where offered)."""
    import re

    _, _, page = _get(port, "/")
    total = len(page)
    text = gzip.decompress(page).decode() if page[:2] == b"\x1f\x8b" else page.decode()
    for asset in sorted(set(re.findall(r'(?:src|href)="/?(static/[^"]+)"', text))):
        total += len(_get(port, f"/{asset}")[2])
    return total


def _csv_against_copy(port: int, store: Path, indicator: str, areas_la: int) -> str:
    """Our CSV endpoint (cache off: each request built) against DuckDB COPY of the same rows."""
    from benchmarks._harness import median_seconds

    # a query string never asked before each time: the response is built, not cached
    counter = iter(range(10**6))

    def ours() -> bytes:
        url = f"/api/v1/values?indicator={indicator}&area_type=la&format=csv&offset={next(counter)}"
        status, headers, body = _get(port, url)
        assert status == 200, status
        return gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body

    con = duckdb.connect(str(store), read_only=True)
    target = Path(tempfile.mkdtemp()) / "copy.csv"

    def theirs() -> None:
        con.execute(
            f"COPY (SELECT v.* EXCLUDE (vintage_id) FROM indicator_values v JOIN areas a "
            f"USING (area_code) WHERE v.indicator_id = '{indicator}' AND a.area_type = 'la' "
            f"ORDER BY ALL) TO '{target}' (HEADER)"
        )

    rows = ours().count(b"\n") - 1
    theirs()
    t_ours, t_copy = median_seconds(ours, repeat=9), median_seconds(theirs, repeat=9)
    _get(port, f"/api/v1/values?indicator={indicator}&area_type=la&format=csv")  # kept
    t_cached = median_seconds(
        lambda: _get(port, f"/api/v1/values?indicator={indicator}&area_type=la&format=csv"),
        repeat=9,
    )
    con.close()
    return (
        f"csv endpoint ({rows:,} rows, {areas_la} areas): healthgap {t_ours * 1e3:.1f} ms built, "
        f"{t_cached * 1e3:.1f} ms cached; DuckDB COPY {t_copy * 1e3:.1f} ms; ratio "
        f"{t_ours / t_copy:.1f}x built, {t_cached / t_copy:.1f}x cached "
        "(ours: over HTTP, gzip, disclosure applied, spreadsheet-safe)"
    )


def _draws(store: Path, port: int) -> Draws:
    con = duckdb.connect(str(store), read_only=True)
    try:

        def codes(area_type: str) -> list[str]:
            query = "SELECT area_code FROM areas WHERE area_type = ? ORDER BY area_code"
            return [r[0] for r in con.execute(query, [area_type]).fetchall()]

        las, regions = codes("la"), codes("region")
    finally:
        con.close()
    meta = json.loads(_decoded(_get(port, "/api/indicator_metadata/all")))
    numbers = sorted(int(k) for k in meta)
    indicators = [f"ind{k:02d}" for k in range(INDICATORS)]
    return Draws(indicators, numbers, las, regions)


def _decoded(response: tuple[int, dict[str, str], bytes]) -> bytes:
    _, headers, body = response
    return gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body


def _table(results: dict, seconds: float) -> list[str]:
    latencies, errors = results["latencies"], results["errors"]
    total = sum(len(t) for t in latencies.values())
    lines = [
        f"{CLIENTS} clients x {seconds:.0f} s: {total:,} requests ({total / seconds:,.0f}/s), "
        f"{sum(errors.values())} errors",
        f"{'endpoint':<30} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}",
    ]
    every = []
    for name, times in sorted(latencies.items()):
        if not times:
            continue
        every += times
        q = np.quantile(np.array(times) * 1e3, [0.5, 0.95, 0.99])
        lines.append(
            f"{name:<30} {len(times):>7,} {q[0]:>8.1f} {q[1]:>8.1f} {q[2]:>8.1f} {errors[name]:>7}"
        )
    q = np.quantile(np.array(every) * 1e3, [0.5, 0.95, 0.99])
    lines.append(
        f"{'all':<30} {len(every):>7,} {q[0]:>8.1f} {q[1]:>8.1f} {q[2]:>8.1f} "
        f"{sum(errors.values()):>7}"
    )
    lines += [f"error: {e}" for e in results["examples"]]
    return lines


def run(scale: float = 1.0) -> None:
    """Build (or reuse) the store at ``scale``, load the server and print the tables.

    ``HEALTHGAP_BENCH_WEB_SECONDS`` (60), ``HEALTHGAP_BENCH_WEB_WORKERS`` (1) and
    ``HEALTHGAP_BENCH_WEB_CACHE_MB`` (128; 0 for none) set the run.
    """
    import multiprocessing

    seconds = float(os.environ.get("HEALTHGAP_BENCH_WEB_SECONDS", "60"))
    workers = int(os.environ.get("HEALTHGAP_BENCH_WEB_WORKERS", "1"))
    cache_mb = float(os.environ.get("HEALTHGAP_BENCH_WEB_CACHE_MB", "128"))
    store = national_store(scale)
    con = duckdb.connect(str(store), read_only=True)
    n_values = con.execute("SELECT count(*) FROM indicator_values").fetchone()[0]
    con.close()
    started = time.perf_counter()
    process, port = _start(store, workers, cache_mb)
    print(
        f"web: {n_values:,} values; {workers} worker(s), cache {cache_mb:g} MB; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; server up in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    try:
        draws = _draws(store, port)
        warm = time.perf_counter()
        _warm(
            port, workers, [f"/api/v1/comparisons?indicator={i}&limit=1" for i in draws.indicators]
        )
        print(
            f"web: first read of all {INDICATORS} indicators (disclosure, judgements) "
            f"{time.perf_counter() - warm:.1f} s",
            flush=True,
        )
        warm = time.perf_counter()
        pages = ["/index.html", *(f"/indicator-{i}.html" for i in draws.indicators)]
        pages += [p for la in draws.las for p in (f"/area-{la}.html", f"/data/area-{la}.json")]
        _warm(port, workers, pages)
        print(
            f"web: first build of the dashboard's {len(pages)} pages and data "
            f"{time.perf_counter() - warm:.1f} s (the load then finds them built)",
            flush=True,
        )
        samples: list[float] = []
        stop = threading.Event()
        sampler = threading.Thread(target=_memory_sampler, args=(process.pid, samples, stop))
        sampler.start()
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        loader = context.Process(target=_load_process, args=(port, draws, seconds, CLIENTS, queue))
        loader.start()
        results = queue.get(timeout=seconds + 600)
        loader.join()
        stop.set()
        sampler.join()
        for text in _table(results, seconds):
            print(text)
        third = max(1, len(samples) // 3)
        print(
            f"server memory (RSS, every process): {statistics.mean(samples[:third]):,.0f} MB in "
            f"the first third, {statistics.mean(samples[-third:]):,.0f} MB in the last (max "
            f"{max(samples):,.0f} MB); load average after "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        print(_csv_against_copy(port, store, "ind07", len(draws.las)))
        size = _first_load_bytes(port)
        print(f"dashboard first load: {size / 1e3:,.0f} kB transferred (gzip), goal < 1,000 kB")
    finally:
        process.terminate()
        process.wait(timeout=60)


def _warm(port: int, workers: int, paths: list[str]) -> None:
    """Request each path once in every worker (a connection reaches one worker)."""
    from concurrent.futures import ThreadPoolExecutor

    def read_all(k: int) -> None:
        for path in paths:
            _get(port, path + ("&" if "?" in path else "?") + f"warm={k}")

    passes = max(1, 2 * workers - 1)
    with ThreadPoolExecutor(passes) as pool:
        list(pool.map(read_all, range(passes)))
