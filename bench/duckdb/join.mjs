// The DuckDB baseline of bench/ingest.sh: the join and the counts of the ingest in SQL, straight from
// the CSVs (registrations × practice → PCN × LSOA → MSOA, PCNs per area at 1%), no geometry, no store.
// The ePCN workbook's partner sheet is exported to CSV beforehand, outside the timing.
//
// usage: node bench/duckdb/join.mjs REGISTRATIONS.csv.gz PARTNERS.csv LSOA_MSOA_LOOKUP.csv YYYYMMDD
import { DuckDBInstance } from '@duckdb/node-api';

const [regs, partners, lookup, asOf] = process.argv.slice(2);
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const r = await c.runAndReadAll(`
WITH reg AS (SELECT PRACTICE_CODE AS p, LSOA_CODE AS l, "Number of Patients" AS n FROM read_csv(${q(regs)}, header = true, quote = '"', types = {'Number of Patients': 'BIGINT'})),
lk AS (SELECT LSOA_CODE AS l, MSOA_CODE AS m FROM read_csv(${q(lookup)}, header = true, quote = '"')),
pm AS (SELECT "Partner Organisation Code" AS p, any_value("PCN Code") AS pcn FROM read_csv(${q(partners)}, all_varchar = true)
       WHERE coalesce("Practice to PCN Relationship Start Date", '') <= ${q(asOf)}
         AND (coalesce("Practice to PCN Relationship End Date", '') = '' OR "Practice to PCN Relationship End Date" >= ${q(asOf)})
       GROUP BY 1),
j AS (SELECT lk.m, reg.p, reg.n FROM reg JOIN lk USING (l)),
registered AS (SELECT m, sum(n) AS total FROM j GROUP BY m),
cells AS (SELECT j.m, pm.pcn, sum(j.n) AS n FROM j JOIN pm USING (p) GROUP BY ALL)
SELECT (SELECT count(*) FROM registered) AS areas,
       (SELECT count(*) FROM cells JOIN registered USING (m) WHERE cells.n >= 0.01 * registered.total) AS served`);
const [areas, served] = r.getRows()[0];
console.log(`${areas} areas, ${Number(served) / Number(areas)} PCNs per area at 1%`);
