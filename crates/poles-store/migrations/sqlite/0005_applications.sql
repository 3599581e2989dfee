-- Applications to calls: a consortium's project from draft to submission, its partners with
-- their budgets and R&D location, and the clusters asked to label it.
CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    call_id BIGINT NOT NULL REFERENCES calls(id),
    acronym TEXT NOT NULL,
    title TEXT NOT NULL,
    summary_fr TEXT,
    summary_en TEXT,
    keywords TEXT,
    duration_months BIGINT,
    lead_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'submitted', 'withdrawn', 'selected', 'rejected', 'lapsed', 'running', 'closed', 'abandoned')),
    consortium_agreement TEXT NOT NULL DEFAULT 'none'
        CHECK (consortium_agreement IN ('none', 'negotiating', 'signed')),
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    submitted_at TEXT,
    -- The rule set and the eligibility as checked at submission, kept as they were.
    checked_rule_set_id TEXT REFERENCES rule_sets(id),
    eligibility_at_submission TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX applications_call ON applications(call_id);

CREATE TABLE application_partners (
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    role TEXT NOT NULL CHECK (role IN ('lead', 'partner')),
    invitation TEXT NOT NULL CHECK (invitation IN ('invited', 'accepted', 'declined')),
    -- What the partner declares of itself for the rules (its size, its cost basis).
    declared_kind TEXT NOT NULL,
    independent BIGINT NOT NULL DEFAULT 1,
    marginal_cost BIGINT NOT NULL DEFAULT 0,
    staff_cents BIGINT NOT NULL DEFAULT 0,
    equipment_cents BIGINT NOT NULL DEFAULT 0,
    subcontracting_cents BIGINT NOT NULL DEFAULT 0,
    overheads_cents BIGINT NOT NULL DEFAULT 0,
    rd_commune TEXT REFERENCES communes(code),
    in_labelling_territory BIGINT NOT NULL DEFAULT 0,
    in_lead_territory BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (application_id, organisation_id)
);
CREATE INDEX application_partners_organisation ON application_partners(organisation_id);

CREATE TABLE labelling_requests (
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id),
    lead BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'labelled', 'refused')),
    reasons TEXT,
    decided_on TEXT,
    decided_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    requested_at TEXT NOT NULL,
    PRIMARY KEY (application_id, cluster_id)
);
CREATE INDEX labelling_requests_cluster ON labelling_requests(cluster_id);
