-- The cluster registry: territories, nomenclatures, clusters and their labels, organisations,
-- memberships, historical projects, partnerships and the programme's published facts.
-- Dates are ISO-8601 TEXT on both backends (they sort as text); money is BIGINT cents with
-- its currency beside it; flags are BIGINT 0/1 so both backends decode them alike.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sectors (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    press_kit BIGINT NOT NULL DEFAULT 0,
    position BIGINT NOT NULL
);

CREATE TABLE countries (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_fr TEXT NOT NULL
);

CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    overseas BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE former_regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    region_code TEXT NOT NULL REFERENCES regions(code)
);

CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code)
);

CREATE TABLE communes (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    department_code TEXT NOT NULL,
    region_code TEXT NOT NULL,
    population BIGINT
);

CREATE TABLE postcodes (
    postcode TEXT NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes(code),
    PRIMARY KEY (postcode, commune_code)
);

CREATE TABLE naf_codes (
    code TEXT PRIMARY KEY,
    label_fr TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT
);

CREATE TABLE nuts_codes (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level BIGINT NOT NULL,
    country TEXT NOT NULL
);

CREATE TABLE clusters (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    official_name TEXT,
    theme_fr TEXT,
    specialty_en TEXT,
    is_leading BIGINT NOT NULL DEFAULT 0,
    website TEXT,
    description_fr TEXT,
    description_en TEXT,
    governance TEXT,
    note TEXT,
    sources TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE cluster_aliases (
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (cluster_id, alias)
);

CREATE TABLE cluster_regions (
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    region_code TEXT NOT NULL REFERENCES regions(code),
    PRIMARY KEY (cluster_id, region_code)
);

CREATE TABLE cluster_former_regions (
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    former_region_code TEXT NOT NULL REFERENCES former_regions(code),
    PRIMARY KEY (cluster_id, former_region_code)
);

CREATE TABLE cluster_sectors (
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    sector_code TEXT NOT NULL REFERENCES sectors(code),
    basis TEXT NOT NULL,
    PRIMARY KEY (cluster_id, sector_code)
);

CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    tier TEXT CHECK (tier IN ('mondial', 'vocation_mondiale', 'national')),
    status TEXT NOT NULL CHECK (status IN ('labelled', 'probation', 'delabelled')),
    decision_date TEXT,
    valid_from TEXT,
    valid_until TEXT,
    legal_act TEXT,
    note TEXT,
    source TEXT NOT NULL
);
CREATE INDEX labels_cluster ON labels(cluster_id);

CREATE TABLE foreign_clusters (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    country TEXT,
    kind TEXT NOT NULL,
    website TEXT
);

CREATE TABLE partnerships (
    id INTEGER PRIMARY KEY,
    a_cluster_id BIGINT REFERENCES clusters(id) ON DELETE CASCADE,
    a_foreign_id BIGINT REFERENCES foreign_clusters(id) ON DELETE CASCADE,
    b_cluster_id BIGINT REFERENCES clusters(id) ON DELETE CASCADE,
    b_foreign_id BIGINT REFERENCES foreign_clusters(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    start_date TEXT,
    scope TEXT,
    source TEXT NOT NULL,
    CHECK ((a_cluster_id IS NULL) <> (a_foreign_id IS NULL)),
    CHECK ((b_cluster_id IS NULL) <> (b_foreign_id IS NULL))
);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    short_name TEXT,
    kind TEXT NOT NULL,
    country TEXT,
    region_code TEXT,
    naf_code TEXT,
    headcount_band TEXT,
    siren TEXT,
    siret TEXT,
    vat TEXT,
    pic TEXT,
    cordis_id TEXT UNIQUE,
    demo_key TEXT UNIQUE,
    -- The group an entity belongs to (e.g. THALES SA → Thales), so that a group's cluster
    -- membership reaches its entities' projects.
    parent_id BIGINT REFERENCES organisations(id) ON DELETE SET NULL,
    website TEXT,
    competences TEXT,
    source TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX organisations_country ON organisations(country);
CREATE INDEX organisations_parent ON organisations(parent_id);

CREATE TABLE memberships (
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    since TEXT,
    source TEXT NOT NULL,
    quote TEXT,
    PRIMARY KEY (cluster_id, organisation_id)
);
CREATE INDEX memberships_organisation ON memberships(organisation_id);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    source_key TEXT NOT NULL UNIQUE,
    acronym TEXT NOT NULL,
    title TEXT,
    programme TEXT,
    call TEXT,
    topic TEXT,
    topic_title TEXT,
    funding_scheme TEXT,
    status TEXT,
    start_date TEXT,
    end_date TEXT,
    total_cost_cents BIGINT,
    public_funding_cents BIGINT,
    currency TEXT NOT NULL DEFAULT 'EUR',
    source TEXT NOT NULL
);

CREATE TABLE project_partners (
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('coordinator', 'partner')),
    cost_cents BIGINT,
    funding_cents BIGINT,
    PRIMARY KEY (project_id, organisation_id)
);
CREATE INDEX project_partners_organisation ON project_partners(organisation_id);

CREATE TABLE project_clusters (
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (project_id, cluster_id)
);
CREATE INDEX project_clusters_cluster ON project_clusters(cluster_id);

CREATE TABLE figures (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    label_en TEXT NOT NULL,
    label_fr TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    currency TEXT NOT NULL,
    period_start TEXT,
    period_end TEXT,
    per TEXT NOT NULL,
    funder TEXT,
    certainty TEXT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE news (
    id INTEGER PRIMARY KEY,
    cluster_id BIGINT REFERENCES clusters(id) ON DELETE SET NULL,
    published_on TEXT,
    title_en TEXT NOT NULL,
    title_fr TEXT NOT NULL,
    body_en TEXT,
    body_fr TEXT,
    source TEXT NOT NULL
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    starts_on TEXT,
    place TEXT,
    description_en TEXT,
    description_fr TEXT,
    source TEXT NOT NULL
);

CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    statement_en TEXT NOT NULL,
    statement_fr TEXT NOT NULL,
    percent BIGINT NOT NULL,
    population_en TEXT,
    population_fr TEXT,
    pollster TEXT,
    conducted TEXT,
    source TEXT NOT NULL
);

CREATE TABLE texts (
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    title_en TEXT,
    title_fr TEXT,
    text_en TEXT NOT NULL,
    text_fr TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (kind, position)
);

-- The search index lives in the database, so every app server sees the same one.
CREATE TABLE search_entries (
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    title TEXT NOT NULL,
    subtitle TEXT,
    haystack TEXT NOT NULL,
    weight BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, ref)
);
