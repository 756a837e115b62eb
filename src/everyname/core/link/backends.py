"""Where Splink runs: DuckDB in-process by default, Spark when a user outgrows one machine.

pyspark is a heavy optional engine: it is imported only when the Spark backend is asked for,
with an error naming the ``spark`` extra when it is missing.
"""

from __future__ import annotations

import tempfile
from typing import Any, Literal

from everyname.core.errors import EverynameError

Backend = Literal["duckdb", "spark"]
BACKENDS: tuple[str, ...] = ("duckdb", "spark")


class BackendUnavailable(EverynameError):
    """The requested backend cannot be used; the message says what to install or choose."""


def make_db_api(backend: str = "duckdb", spark_session: Any | None = None) -> Any:
    """A fresh Splink database API for ``backend``.

    For Spark, ``spark_session`` is used when given (a cluster session); otherwise a local
    session is created with Splink's similarity functions on its class path.
    """
    if backend == "duckdb":
        import duckdb
        from splink.backends.duckdb import DuckDBAPI

        con = duckdb.connect(":memory:")
        return DuckDBAPI(connection=con)
    if backend == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError as err:
            raise BackendUnavailable(
                "the spark backend needs pyspark: install the 'spark' extra "
                "(pip install 'everyname[spark]') and Java 17, or use --backend duckdb"
            ) from err
        from splink.backends.spark import SparkAPI

        session = spark_session if spark_session is not None else local_spark_session()
        return SparkAPI(spark_session=session, num_partitions_on_repartition=4)
    raise BackendUnavailable(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def local_spark_session(master: str = "local[2]") -> Any:
    """A local Spark session configured for Splink (its UDF jar, few shuffle partitions)."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    builder = (
        SparkSession.builder.master(master)
        .appName("everyname-link")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
    )
    session = builder.getOrCreate()
    if session.sparkContext.getCheckpointDir() is None:  # Splink checkpoints to break lineage
        session.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="everyname-spark-"))
    return session


RECORDS_TABLE = "everyname_records"
"""The prepared records' table in the DuckDB backend's connection."""


def register_records(db_api: Any, prepared: Any, order: Any) -> Any:
    """Load the prepared records into the backend as Splink's input table, row ``order[k]``
    of ``prepared`` as row k with record id k (see ``records.content_order``).

    The list ``full_keys`` (the part keys of the whole name, for the dropped/reordered-part
    level) is split from the ``full_key`` text inside the engine: building a million Python
    lists would cost more than the rest of the preparation. On DuckDB the rows are reordered
    inside the engine too, without copying the frame in Python.
    """
    import numpy as np
    import pandas as pd

    has_full = "full_key" in prepared.columns
    if db_api.sql_dialect.sql_dialect_str == "duckdb":
        con = db_api._con
        con.register("everyname_prepared", prepared)
        con.register(
            "everyname_ranks",
            pd.DataFrame({"rank_of_row": np.argsort(order).astype(np.int64)}),
        )
        split = ", string_split(full_key, ' ') as full_keys" if has_full else ""
        con.execute(
            f"create or replace table {RECORDS_TABLE} as "
            f"select * exclude (rank_of_row) replace (rank_of_row as record_id){split} "
            "from everyname_prepared positional join everyname_ranks order by rank_of_row"
        )
        con.unregister("everyname_prepared")
        con.unregister("everyname_ranks")
        return db_api.register(RECORDS_TABLE)
    ordered = prepared.iloc[order].reset_index(drop=True)
    ordered["record_id"] = np.arange(len(ordered), dtype=np.int64)
    plain = ordered.astype(object).where(ordered.notna(), None)  # Spark wants None, not NA
    frame = db_api.spark.createDataFrame(plain)
    if has_full:
        from pyspark.sql import functions as f

        frame = frame.withColumn("full_keys", f.split(f.col("full_key"), " "))
    return db_api.register(frame)
