-- Calls for projects and their rule sets. A rule set is stored whole (JSON) and never edited
-- once a project has been checked against it: a change makes a new rule set.
CREATE TABLE rule_sets (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    frozen BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name_fr TEXT NOT NULL,
    name_en TEXT NOT NULL,
    programme TEXT NOT NULL,
    opens_on TEXT,
    deadline TEXT,
    decision_on TEXT,
    rule_set_id TEXT NOT NULL REFERENCES rule_sets(id),
    source TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE call_funders (
    call_id BIGINT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    funder TEXT NOT NULL,
    envelope_cents BIGINT,
    currency TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (call_id, funder)
);

CREATE TABLE call_criteria (
    call_id BIGINT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name_fr TEXT NOT NULL,
    name_en TEXT NOT NULL,
    weight_bp BIGINT NOT NULL,
    PRIMARY KEY (call_id, position)
);
