#!/usr/bin/env python3
"""DuckDB's side of scripts/bench-specialisation.sh: the same table Pôles computes — employment
and establishments by region x NAF division of an establishment file of the benchmark's
format, with location quotients — read from the CSV and written as CSV, in one process.

Usage: bench_specialisation_duckdb.py IN.csv OUT.csv
"""
import sys

import duckdb

src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
# The columns are named and typed, as Pôles knows them: no sniffing is timed.
con.execute(
    f"""
COPY (
  WITH t AS (
    SELECT region, substr(naf, 1, 2) AS division, count(*) AS establishments, sum(employees) AS employment
    FROM read_csv('{src}', header = true, delim = ',', quote = '',
      columns = {{'siret': 'VARCHAR', 'region': 'VARCHAR', 'department': 'VARCHAR', 'naf': 'VARCHAR',
                  'employees': 'BIGINT', 'created': 'VARCHAR'}})
    GROUP BY ALL
  ),
  r AS (SELECT region, sum(employment) AS e FROM t GROUP BY region),
  d AS (SELECT division, sum(employment) AS e FROM t GROUP BY division),
  total AS (SELECT sum(employment) AS e FROM t)
  SELECT t.region, t.division, t.establishments, t.employment,
         CASE WHEN r.e > 0 AND d.e > 0
              THEN (t.employment::DOUBLE / r.e::DOUBLE) / (d.e::DOUBLE / total.e::DOUBLE) END AS location_quotient
  FROM t JOIN r USING (region) JOIN d USING (division), total
  ORDER BY t.region, t.division
) TO '{out}' (HEADER, DELIMITER ',')
"""
)
