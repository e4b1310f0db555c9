"""The Spark batch engine: the same SQL and formulas on Apache Spark, in local mode by default.

One SparkSession per process, started on first use (master `JARING_SPARK_MASTER`, default
`local[2]`; driver memory `JARING_SPARK_DRIVER_MEMORY`, default 4g), bound to 127.0.0.1 with
no UI; each engine works in a session of its own on top of it (`newSession()`: its own temp
views and SQL settings, the same JVM), so a second engine costs milliseconds, not seconds.
Staged tables are written to Parquet under the engine's work folder (default
`<data dir>/tmp/spark`) and read back, which keeps plans short and memory bounded; the
folder is removed on close. Spark needs Java 17 or newer: `scripts/ensure-java` installs it.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pyarrow as pa
import pyarrow.parquet as pq

from jaring.batch.engine import (
    BatchError,
    BatchFunction,
    EngineUnavailable,
    check_name,
    conform,
    first_line,
    translate,
)
from jaring.kit import config

DEFAULT_MASTER = "local[2]"
DEFAULT_DRIVER_MEMORY = "4g"
DEFAULT_BATCH_ROWS = 65_536
JAVA_NEEDED = 17
_HINT = "run scripts/ensure-java (it installs openjdk-17-jre-headless from Debian's packages)"

_LOCK = threading.Lock()
_SESSION: Any = None
_STARTED_WITH: dict[str, str] = {}

_LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
logger.native.name = org.apache.hadoop.util.NativeCodeLoader
logger.native.level = error
"""


# --- Java and the process-wide session ---------------------------------------------------------


def java_executable() -> str | None:
    """The `java` Spark will use: `$JAVA_HOME/bin/java`, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").is_file():
        return str(Path(home, "bin", "java"))
    return shutil.which("java")


def java_major(java: str) -> int | None:
    """The major version `java -version` reports (8 for "1.8.0_…"), or None."""
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def check_java() -> None:
    """Raise EngineUnavailable unless Java 17 or newer is there for Spark."""
    java = java_executable()
    if java is None:
        raise EngineUnavailable(
            f"Java {JAVA_NEEDED} or newer is needed and none was found; {_HINT}", engine="spark"
        )
    major = java_major(java)
    if major is None or major < JAVA_NEEDED:
        found = f"Java {major}" if major else "an unrecognised Java"
        raise EngineUnavailable(
            f"Java {JAVA_NEEDED} or newer is needed, found {found} at {java}; {_HINT}", engine="spark"
        )


def session(
    *, master: str | None = None, driver_memory: str | None = None, work_dir: Path | None = None
) -> Any:
    """The process's SparkSession, started on the first call. Master and driver memory are
    fixed once the JVM runs: asking for others later is an error."""
    global _SESSION
    wanted = {"master": master, "driver_memory": driver_memory}
    with _LOCK:
        if _SESSION is not None and _SESSION.sparkContext._jsc is not None:
            for key, value in wanted.items():
                if value is not None and value != _STARTED_WITH[key]:
                    raise BatchError(
                        f"the Spark session of this process runs with {key}={_STARTED_WITH[key]}, "
                        f"not {value}; it is started once per process",
                        engine="spark",
                    )
            return _SESSION
        _SESSION = _start(
            master or os.environ.get("JARING_SPARK_MASTER", DEFAULT_MASTER),
            driver_memory or os.environ.get("JARING_SPARK_DRIVER_MEMORY", DEFAULT_DRIVER_MEMORY),
            (work_dir or default_work_dir()).resolve(),
        )
        return _SESSION


def stop() -> None:
    """Stop the process's SparkSession (the next engine starts a new one)."""
    global _SESSION
    with _LOCK:
        if _SESSION is not None:
            _SESSION.stop()
            _SESSION = None


def default_work_dir() -> Path:
    return config.data_dir() / "tmp" / "spark"


def _start(master: str, driver_memory: str, work_dir: Path) -> Any:
    check_java()
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is a dependency
        raise EngineUnavailable(
            f"pyspark cannot be imported ({exc}); run make install", engine="spark"
        ) from exc
    work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (work_dir / "local").mkdir(exist_ok=True)
    log4j = work_dir / "log4j2.properties"
    log4j.write_text(_LOG4J, encoding="utf-8")
    # Local mode: driver and executors on this machine, nothing listens beyond loopback.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("SPARK_LOCAL_HOSTNAME", "localhost")
    # Shuffle and spill files (as the environment variable: spark.local.dir draws a warning).
    os.environ.setdefault("SPARK_LOCAL_DIRS", str(work_dir / "local"))
    # Python workers run this interpreter and see what the driver sees.
    python_path = os.pathsep.join(p for p in sys.path if p and Path(p).exists())
    builder = (
        SparkSession.builder.master(master)
        .appName("jaring-batch")
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", str(work_dir / "warehouse"))
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.executorEnv.PYTHONPATH", python_path)
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log4j.as_uri()}")
    )
    try:
        spark = builder.getOrCreate()
    except Exception as exc:
        raise EngineUnavailable(f"Spark did not start: {first_line(exc)}", engine="spark") from exc
    spark.sparkContext.setLogLevel("WARN")
    _quiet_query_errors()
    _STARTED_WITH.update(master=master, driver_memory=driver_memory)
    return spark


def _quiet_query_errors() -> None:
    """PySpark logs every failed statement, as JSON with a Java stack trace, on top of raising
    it; the BatchError raised instead carries its first line (and the exception its cause)."""
    import logging

    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _runtime_settings(shuffle_partitions: int, batch_rows: int) -> dict[str, str]:
    return {
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
        # Arrow batches with string/binary (not large_*), as DuckDB hands them over.
        "spark.sql.execution.arrow.useLargeVarTypes": "false",
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(batch_rows),
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    }


def _wire_schema(schema: pa.Schema) -> pa.Schema:
    """The schema as Spark's Arrow exchange carries it (no fixed-size or large variants)."""
    fields = []
    for field in schema:
        kind = field.type
        if pa.types.is_fixed_size_binary(kind) or pa.types.is_large_binary(kind):
            kind = pa.binary()
        elif pa.types.is_large_string(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind, field.nullable))
    return pa.schema(fields)


def _parquet_rows(folder: Path) -> int:
    return sum(pq.read_metadata(part).num_rows for part in folder.glob("part-*.parquet"))


# --- the engine ------------------------------------------------------------------------------


class SparkEngine:
    """Spark (local mode) over Parquet and Arrow; see the module docstring."""

    name = "spark"

    def __init__(
        self,
        *,
        master: str | None = None,
        driver_memory: str | None = None,
        shuffle_partitions: int = 4,
        work_dir: Path | str | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        base = (Path(work_dir) if work_dir is not None else default_work_dir()).resolve()
        shared = session(master=master, driver_memory=driver_memory, work_dir=base)
        self._dir = base / f"batch-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._dir.mkdir(parents=True, mode=0o700)
        self._spark = shared.newSession()
        for key, value in {**_runtime_settings(shuffle_partitions, batch_rows), **(settings or {})}.items():
            self._spark.conf.set(key, value)
        self._views: set[str] = set()
        self._batch_rows = int(batch_rows)
        self._counter = itertools.count()
        self._closed = False

    # --- the port -------------------------------------------------------------------------

    def register(self, name: str, source: Path | pa.Table) -> None:
        check_name(name)
        self._check_open()
        with self._errors():
            if isinstance(source, pa.Table):
                frame = self._spark.createDataFrame(source)
            else:
                path = Path(source)
                if not path.exists():
                    raise BatchError(f"{path}: no such file or directory", engine=self.name)
                frame = self._spark.read.parquet(str(path.resolve()))
            self._view(name, frame)

    def stage(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> int:
        check_name(name)
        self._check_open()
        query = translate(sql, "spark", params)
        with self._errors():
            return self._materialise(name, self._spark.sql(query))

    def view(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> None:
        check_name(name)
        self._check_open()
        query = translate(sql, "spark", params)
        with self._errors():
            self._view(name, self._spark.sql(query))

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        self._check_open()
        query = translate(sql, "spark", params)
        with self._errors():
            return self._spark.sql(query).toArrow()

    def write(self, sql: str, out: Path, params: Mapping[str, Any] | None = None) -> int:
        self._check_open()
        query = translate(sql, "spark", params)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        folder = self._dir / f"write-{next(self._counter)}"
        partial = out.with_name(f".{out.name}.partial-{uuid.uuid4().hex[:12]}")
        try:
            with self._errors():
                frame = self._spark.sql(query)
                # coalesce(1) joins the sorted partitions in order: no shuffle, order kept.
                frame.coalesce(1).write.parquet(str(folder))
                parts = sorted(folder.glob("part-*.parquet"))
                if not parts:  # an empty result may leave no part file
                    pq.write_table(frame.limit(0).toArrow(), partial, compression="zstd")
            if len(parts) > 1:
                raise BatchError(f"Spark wrote {len(parts)} files for one output", engine=self.name)
            if parts:
                shutil.move(parts[0], partial)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
            shutil.rmtree(folder, ignore_errors=True)
        return int(pq.read_metadata(out).num_rows)

    def stream(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[pa.RecordBatch]:
        # Through one ordered Parquet file: Spark hands results to Python whole or row by row.
        out = self._dir / f"stream-{next(self._counter)}.parquet"
        self.write(sql, out, params)
        try:
            yield from pq.ParquetFile(out).iter_batches(batch_size=self._batch_rows)
        finally:
            out.unlink(missing_ok=True)

    def map_batches(self, name: str, source: str, fn: BatchFunction, schema: pa.Schema) -> int:
        check_name(name)
        check_name(source)
        self._check_open()
        from pyspark.sql.pandas.types import from_arrow_schema

        wire = _wire_schema(schema)
        try:
            declared = from_arrow_schema(wire)
        except Exception as exc:
            raise BatchError(
                f"the schema cannot be used by Spark: {first_line(exc)}", engine=self.name
            ) from exc

        def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                if batch.num_rows:
                    yield conform(conform(fn(batch), schema), wire)

        with self._errors():
            mapped = self._spark.table(source).mapInArrow(run, declared)
            return self._materialise(name, mapped)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            for view in self._views:
                self._spark.catalog.dropTempView(view)
        except Exception:  # the session may be gone already; the folder goes regardless
            pass
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- inside ---------------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException, PythonException

        try:
            yield
        except PythonException as exc:
            raise BatchError(f"the batch function failed: {first_line(exc)}", engine=self.name) from exc
        except (PySparkException, Py4JError) as exc:
            raise BatchError(first_line(exc), engine=self.name) from exc

    def _check_open(self) -> None:
        if self._closed:
            raise BatchError("the engine is closed", engine=self.name)

    def _view(self, name: str, frame: Any) -> None:
        frame.createOrReplaceTempView(name)
        self._views.add(name.lower())

    def _materialise(self, name: str, frame: Any) -> int:
        folder = self._dir / f"stage-{name.lower()}-{next(self._counter)}"
        frame.write.parquet(str(folder))
        self._view(name, self._spark.read.parquet(str(folder)))
        return _parquet_rows(folder)
