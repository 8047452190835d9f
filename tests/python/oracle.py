"""An independent point-in-time join, in DuckDB SQL, implementing the rule fs
documents: same keys, source timestamp <= event time (and >= event time - ttl),
rows created after the cutoff ignored; the latest timestamp wins, ties to the
latest created time (null created counts as earliest), then to the row that
comes last in the source (files in path order, rows in file order)."""
import duckdb


def asof(entities, files, keys, ts, created, cutoff, features):
    """entities: a pandas DataFrame (keys, event_timestamp as tz-aware UTC).
    files: source parquet paths (sorted). features: {out_name: (sql_expr, ttl_seconds or None)},
    sql_expr over the source's columns. Returns a DataFrame in entity order."""
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    ent = entities.copy()
    ent["__row"] = range(len(ent))
    con.register("ent", ent)
    file_list = ", ".join(f"'{f}'" for f in sorted(files))
    created_sql = f"CAST(\"{created}\" AS TIMESTAMP)" if created else "NULL::TIMESTAMP"
    where = f"WHERE {created_sql} IS NULL OR {created_sql} <= TIMESTAMP '{cutoff}'" if (created and cutoff) else ""
    key_list = ", ".join(f'"{k}"' for k in keys)
    exprs = ", ".join(f"{sql} AS \"{name}\"" for name, (sql, _) in features.items())
    con.execute(f"""
        CREATE TABLE src AS
        SELECT *, CAST("{ts}" AS TIMESTAMP) AS __ts, {created_sql} AS __created,
               ROW_NUMBER() OVER (ORDER BY filename, file_row_number) AS __order
        FROM read_parquet([{file_list}], filename=true, file_row_number=true)
        {where}""")
    con.execute(f"""
        CREATE TABLE best AS
        SELECT * FROM (
          SELECT *, ROW_NUMBER() OVER (PARTITION BY {key_list}, __ts
                                       ORDER BY __created DESC NULLS LAST, __order DESC) AS __rank
          FROM src WHERE __ts IS NOT NULL AND {" AND ".join(f'"{k}" IS NOT NULL' for k in keys)})
        WHERE __rank = 1""")
    on = " AND ".join(f'e."{k}" = s."{k}"' for k in keys)
    cols = []
    for name, (_, ttl) in features.items():
        if ttl:
            cols.append(f"""CASE WHEN s.__ts >= CAST(e.event_timestamp AS TIMESTAMP) - INTERVAL {int(ttl)} SECOND
                              THEN s."{name}" END AS "{name}" """)
        else:
            cols.append(f's."{name}"')
    sql = f"""
        WITH feats AS (SELECT {key_list}, __ts, {exprs} FROM best)
        SELECT e.__row, {", ".join(cols)}
        FROM ent e ASOF LEFT JOIN feats s
          ON {on} AND CAST(e.event_timestamp AS TIMESTAMP) >= s.__ts
        ORDER BY e.__row"""
    return con.execute(sql).df().drop(columns="__row")
