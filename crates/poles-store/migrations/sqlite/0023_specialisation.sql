-- Regional specialisation (issue 16). An establishment's name, where its registry gives one
-- (the largest establishments of a pôle's sectors "in the territory" are shown by name).
ALTER TABLE establishments ADD COLUMN name TEXT;
-- A pôle's page lists the largest establishments of its sectors in its regions: one ordered
-- range per region and division, read from the top.
CREATE INDEX establishments_largest ON establishments(source, region, division, employees);

-- Each import says what it is: its titles in both languages, the date its figures describe,
-- and whether it is generated (fictional: marked so on every page and export that shows it).
ALTER TABLE establishment_imports ADD COLUMN title_en TEXT;
ALTER TABLE establishment_imports ADD COLUMN title_fr TEXT;
ALTER TABLE establishment_imports ADD COLUMN reference_date TEXT;
ALTER TABLE establishment_imports ADD COLUMN fictional BIGINT NOT NULL DEFAULT 0;

-- The import's tallies, stored with it (so growth compares two imports of one source even
-- after the newer replaced the establishments): employment and establishments per area
-- (region or department) and per grouping (NAF section, NAF division, programme sector).
-- Quotients and stars are computed when read, from these and the rules in force.
CREATE TABLE specialisation_cells (
    import_id BIGINT NOT NULL REFERENCES establishment_imports(id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('region', 'department')),
    area TEXT NOT NULL,
    grouping TEXT NOT NULL CHECK (grouping IN ('section', 'division', 'sector')),
    sector TEXT NOT NULL,
    establishments BIGINT NOT NULL,
    employment BIGINT NOT NULL,
    -- The import's: repeated so that an export of this table alone says it.
    fictional BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (import_id, level, grouping, sector, area)
);

-- Regional EU-fund operations (FEDER, FSE, IEJ… in France), imported with their source, for the
-- funding dashboards: the region from the beneficiary's postcode (2014-2020) or the region the
-- source names (2007-2013 showcase projects); amounts in euro cents; a row whose region or year
-- the source does not give keeps it empty and is counted as such.
CREATE TABLE eu_operations (
    id INTEGER PRIMARY KEY,
    period TEXT NOT NULL,
    programme TEXT,
    fund TEXT NOT NULL,
    name TEXT NOT NULL,
    beneficiary TEXT,
    postcode TEXT,
    region TEXT,
    place TEXT,
    year BIGINT,
    start_date TEXT,
    end_date TEXT,
    total_cents BIGINT,
    eu_cents BIGINT,
    category TEXT,
    url TEXT,
    source TEXT NOT NULL
);
CREATE INDEX eu_operations_period ON eu_operations(period, region, fund);

-- The relief the programme granted, totalled per scheme and year for the open data (a
-- company's own records stay private; the demo's fictional organisations are left out).
CREATE VIEW relief_totals AS
SELECT r.scheme AS scheme, r.family AS family, r.year AS year, r.currency AS currency,
       COUNT(*) AS records, COUNT(DISTINCT r.organisation_id) AS organisations,
       CAST(SUM(r.amount_cents) AS BIGINT) AS amount_cents
FROM relief_records r JOIN organisations o ON o.id = r.organisation_id
WHERE o.fictional = 0
GROUP BY r.scheme, r.family, r.year, r.currency;
