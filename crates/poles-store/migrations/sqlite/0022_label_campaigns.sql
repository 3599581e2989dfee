-- The State's label as a process (issue 15): a campaign (a call for candidacies for a phase)
-- with its weighted criteria, the outcomes it may decide and the regions that co-decide; the
-- pôles' candidacies; a committee that scores them blind; the regions' opinions; and
-- four-eyes decisions that write the pôle's public label history (`labels`).
-- Campaigns loaded from public sources (`historical`) carry what those sources say, without
-- candidacies.
CREATE TABLE label_campaigns (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    phase_code TEXT REFERENCES programme_phases(code),
    name_en TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    label_from TEXT NOT NULL,
    label_until TEXT NOT NULL,
    documents TEXT,
    historical BIGINT NOT NULL DEFAULT 0,
    summary_en TEXT,
    summary_fr TEXT,
    source_title TEXT,
    source_publisher TEXT,
    source_url TEXT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    CHECK (opens_on <= closes_on AND label_from <= label_until)
);

CREATE TABLE label_criteria (
    campaign_id BIGINT NOT NULL REFERENCES label_campaigns(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name_en TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    weight BIGINT NOT NULL CHECK (weight > 0),
    source_title TEXT NOT NULL,
    source_url TEXT,
    PRIMARY KEY (campaign_id, position)
);

CREATE TABLE label_campaign_outcomes (
    campaign_id BIGINT NOT NULL REFERENCES label_campaigns(id) ON DELETE CASCADE,
    outcome TEXT NOT NULL CHECK (outcome IN ('labelled', 'probation', 'not_labelled', 'merger')),
    months BIGINT CHECK (months > 0),
    PRIMARY KEY (campaign_id, outcome)
);

CREATE TABLE label_campaign_regions (
    campaign_id BIGINT NOT NULL REFERENCES label_campaigns(id) ON DELETE CASCADE,
    region_code TEXT NOT NULL REFERENCES regions(code),
    PRIMARY KEY (campaign_id, region_code)
);

CREATE TABLE candidacies (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES label_campaigns(id) ON DELETE CASCADE,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
    strategy TEXT,
    governance TEXT,
    international TEXT,
    targets TEXT,
    summary_en TEXT,
    budget_cents BIGINT CHECK (budget_cents >= 0),
    staff_fte_hundredths BIGINT CHECK (staff_fte_hundredths >= 0),
    synthesis TEXT,
    synthesis_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    submitted_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (campaign_id, cluster_id)
);
CREATE INDEX candidacies_cluster ON candidacies(cluster_id);

-- The selection committee: State members and members for a co-deciding region.
CREATE TABLE label_committee (
    campaign_id BIGINT NOT NULL REFERENCES label_campaigns(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    side TEXT NOT NULL CHECK (side IN ('state', 'region')),
    region_code TEXT REFERENCES regions(code),
    added_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (campaign_id, user_id),
    CHECK ((side = 'region') = (region_code IS NOT NULL))
);

CREATE TABLE candidacy_reviews (
    candidacy_id BIGINT NOT NULL REFERENCES candidacies(id) ON DELETE CASCADE,
    reviewer_id BIGINT NOT NULL REFERENCES users(id),
    assigned_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    assigned_at TEXT NOT NULL,
    submitted_at TEXT,
    PRIMARY KEY (candidacy_id, reviewer_id)
);

CREATE TABLE candidacy_scores (
    candidacy_id BIGINT NOT NULL,
    reviewer_id BIGINT NOT NULL,
    criterion BIGINT NOT NULL,
    score BIGINT NOT NULL CHECK (score BETWEEN 0 AND 10),
    comment TEXT,
    PRIMARY KEY (candidacy_id, reviewer_id, criterion),
    FOREIGN KEY (candidacy_id, reviewer_id) REFERENCES candidacy_reviews(candidacy_id, reviewer_id) ON DELETE CASCADE
);

CREATE TABLE candidacy_opinions (
    candidacy_id BIGINT NOT NULL REFERENCES candidacies(id) ON DELETE CASCADE,
    region_code TEXT NOT NULL REFERENCES regions(code),
    opinion TEXT NOT NULL CHECK (opinion IN ('favourable', 'reserved', 'unfavourable')),
    comment TEXT,
    recorded_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (candidacy_id, region_code)
);

-- One decision per pôle and campaign (a probation's review is a decision of its own), under
-- four eyes: proposed by one officer, approved by another; approval writes `labels`.
CREATE TABLE label_decisions (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES label_campaigns(id) ON DELETE CASCADE,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('campaign', 'probation_review')),
    outcome TEXT NOT NULL CHECK (outcome IN ('labelled', 'probation', 'not_labelled', 'merger', 'confirmed', 'delabelled')),
    tier TEXT CHECK (tier IN ('mondial', 'vocation_mondiale', 'national')),
    months BIGINT CHECK (months > 0),
    conditions TEXT,
    review_date TEXT,
    merged_into BIGINT REFERENCES clusters(id),
    legal_act TEXT NOT NULL,
    act_date TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected')),
    proposed_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    proposed_at TEXT NOT NULL,
    decided_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    decided_at TEXT,
    reason TEXT,
    label_id BIGINT REFERENCES labels(id) ON DELETE SET NULL
);
CREATE INDEX label_decisions_campaign ON label_decisions(campaign_id);
CREATE INDEX label_decisions_cluster ON label_decisions(cluster_id);

-- The decision a label row comes from, and the campaign that decided it (historical rows too).
ALTER TABLE labels ADD COLUMN campaign_id BIGINT REFERENCES label_campaigns(id) ON DELETE SET NULL;
ALTER TABLE labels ADD COLUMN review_date TEXT;

-- The European side: ESCA cluster-management labels (Bronze, Silver, Gold) with their
-- expiry, as the pôle or an officer records them with their source.
CREATE TABLE cluster_management_labels (
    id INTEGER PRIMARY KEY,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('bronze', 'silver', 'gold')),
    awarded_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    source_title TEXT NOT NULL,
    source_url TEXT,
    recorded_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    recorded_at TEXT NOT NULL,
    CHECK (awarded_on <= expires_on)
);
CREATE INDEX cluster_management_labels_cluster ON cluster_management_labels(cluster_id);

-- Performance contracts: per pôle and phase, a target per indicator; per year, the values
-- Pôles cannot compute, entered with their source (the others are computed when read).
CREATE TABLE performance_targets (
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    phase_code TEXT NOT NULL REFERENCES programme_phases(code),
    indicator TEXT NOT NULL,
    target BIGINT NOT NULL CHECK (target >= 0),
    set_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (cluster_id, phase_code, indicator)
);

CREATE TABLE performance_values (
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    year BIGINT NOT NULL,
    indicator TEXT NOT NULL,
    value BIGINT NOT NULL CHECK (value >= 0),
    source_title TEXT NOT NULL,
    source_url TEXT,
    recorded_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (cluster_id, year, indicator)
);

-- A candidacy's attachments (PDF only, checked by the use case): kept in the database, as
-- base64 text, so that every app server serves the same bytes and backups include them.
CREATE TABLE candidacy_documents (
    id INTEGER PRIMARY KEY,
    candidacy_id BIGINT NOT NULL REFERENCES candidacies(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256 TEXT NOT NULL,
    content_base64 TEXT NOT NULL,
    uploaded_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX candidacy_documents_candidacy ON candidacy_documents(candidacy_id);

-- Establishment registries (issue 16, begun): one row per establishment, its region and
-- department (from its commune where the file blanks them), NAF code and division, and its
-- employment (its headcount, else its band's estimate); each import replaces its source's rows.
CREATE TABLE establishments (
    siret TEXT PRIMARY KEY,
    commune TEXT,
    department TEXT NOT NULL,
    region TEXT NOT NULL,
    naf TEXT NOT NULL,
    division TEXT NOT NULL,
    employees BIGINT NOT NULL CHECK (employees >= 0),
    band TEXT,
    created TEXT,
    active BIGINT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX establishments_region_division ON establishments(region, division);
CREATE INDEX establishments_source ON establishments(source);

CREATE TABLE establishment_imports (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    lines BIGINT NOT NULL,
    imported BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    imported_at TEXT NOT NULL
);
