-- Funding and incentives: multi-year budget lines per funder and their historical movements,
-- the R&D zone of each pôle, the relief rules (versioned JSON, like call rule sets) and the
-- relief granted to companies, which the caps are checked against.
CREATE TABLE budget_lines (
    code TEXT PRIMARY KEY,
    funder TEXT NOT NULL,
    funder_kind TEXT NOT NULL CHECK (funder_kind IN ('ministry', 'agency', 'region', 'eu', 'other')),
    name_fr TEXT NOT NULL,
    name_en TEXT NOT NULL,
    programme TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    currency TEXT NOT NULL,
    certainty TEXT NOT NULL,
    source TEXT NOT NULL
);

-- Commitments and payments known from the sources (not from decisions made here).
CREATE TABLE budget_movements (
    id INTEGER PRIMARY KEY,
    budget_code TEXT NOT NULL REFERENCES budget_lines(code),
    year BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('committed', 'paid')),
    amount_cents BIGINT NOT NULL,
    certainty TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX budget_movements_code ON budget_movements(budget_code);

ALTER TABLE call_funders ADD COLUMN budget_code TEXT REFERENCES budget_lines(code);

CREATE TABLE rd_zones (
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    commune_code TEXT NOT NULL REFERENCES communes(code),
    illustrative BIGINT NOT NULL DEFAULT 1,
    source TEXT NOT NULL,
    PRIMARY KEY (cluster_id, commune_code)
);
CREATE INDEX rd_zones_commune ON rd_zones(commune_code);

CREATE TABLE relief_rules (
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE relief_records (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    scheme TEXT NOT NULL,
    family TEXT NOT NULL,
    year BIGINT NOT NULL,
    granted_on TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    application_id BIGINT REFERENCES applications(id),
    note TEXT,
    recorded_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX relief_records_organisation ON relief_records(organisation_id, year);
CREATE INDEX relief_records_year ON relief_records(year);
