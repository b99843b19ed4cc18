"""Where a postgres index's disk goes: each table of the live generation (heap, TOAST and indexes), the
whole database, and the data folder (WAL and catalogs included).

Usage: .venv/bin/python bench/pg_sizes.py INDEX_DIR [--json]
Opens the embedded server under INDEX_DIR (or QA_DATABASE_URL) as the product does; reads only sizes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from psycopg import sql

from qa_app.config import load_settings
from qa_app.store.pg_server import connect
from qa_app.store.pg_writer import current_generation, schema_of

MB = 1 << 20
PARTS = ("heap", "toast", "index")


def sizes(index: Path) -> dict[str, object]:
    settings = load_settings().with_overrides(index_dir=index, backend="postgres")
    with connect(settings) as conn:
        gen = current_generation(conn)
        schema = schema_of(gen)
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))]
        out: dict[str, object] = {"generation": gen, "tables": {}}
        for table in sorted(tables):
            name = sql.Literal(f"{schema}.{table}")
            heap, toast, indexes, rows = conn.execute(
                sql.SQL(
                    "SELECT pg_relation_size({n}), pg_total_relation_size({n}) - pg_relation_size({n}) - "
                    "pg_indexes_size({n}), pg_indexes_size({n}), (SELECT count(*) FROM {t})"
                ).format(n=name, t=sql.Identifier(schema, table))
            ).fetchone()
            out["tables"][table] = {
                "rows": rows,
                "heap_mb": heap / MB,
                "toast_mb": toast / MB,
                "index_mb": indexes / MB,
            }
        (out["database_mb"],) = conn.execute(
            "SELECT pg_database_size(current_database()) / %s::float", (MB,)
        ).fetchone()
        out["schemas"] = [s for (s,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ '^qa_g'")]
    folder = index / "pg"
    if folder.is_dir():
        du = subprocess.run(["du", "-sm", str(folder)], capture_output=True, text=True, check=True).stdout
        out["data_folder_mb"] = float(du.split()[0])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    found = sizes(args.index)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return
    print(f"generation {found['generation']} (schemas kept: {', '.join(found['schemas'])})")
    print(f"{'table':<16}{'rows':>12}{'heap MB':>10}{'TOAST MB':>10}{'index MB':>10}")
    for table, t in sorted(found["tables"].items(), key=lambda kv: -sum(v for k, v in kv[1].items() if k != "rows")):
        print(f"{table:<16}{t['rows']:>12,}{t['heap_mb']:>10.1f}{t['toast_mb']:>10.1f}{t['index_mb']:>10.1f}")
    total = sum(t["heap_mb"] + t["toast_mb"] + t["index_mb"] for t in found["tables"].values())
    print(f"generation's tables {total:.1f} MB; database {found['database_mb']:.1f} MB", end="")
    print(f"; data folder {found['data_folder_mb']:.0f} MB" if "data_folder_mb" in found else "")


if __name__ == "__main__":
    main()
