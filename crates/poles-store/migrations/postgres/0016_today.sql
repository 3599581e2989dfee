-- Today's programme beside its history: the phases of the label policy (each label row in
-- one), where a pôle is and how to reach it, its published size with date and source, and
-- the renamings and mergers that link today's pôles to the 2005-2007 ones.
CREATE TABLE programme_phases (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    decided TEXT,
    source_title TEXT NOT NULL,
    source_publisher TEXT,
    source_date TEXT,
    source_url TEXT
);

ALTER TABLE labels ADD COLUMN phase_code TEXT REFERENCES programme_phases(code);
ALTER TABLE labels ADD COLUMN source_title TEXT;
ALTER TABLE labels ADD COLUMN source_publisher TEXT;
CREATE INDEX labels_phase ON labels(phase_code);

-- The head office: an INSEE commune code where the sources name one commune, else the
-- place as the sources write it (a technopole, say).
ALTER TABLE clusters ADD COLUMN head_office_commune TEXT;
ALTER TABLE clusters ADD COLUMN head_office_place TEXT;
ALTER TABLE clusters ADD COLUMN contact TEXT;
ALTER TABLE clusters ADD COLUMN website_source TEXT;
ALTER TABLE clusters ADD COLUMN theme_en TEXT;

CREATE TABLE cluster_sizes (
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('members', 'projects_labelled')),
    value BIGINT NOT NULL CHECK (value >= 0),
    qualifier TEXT CHECK (qualifier IN ('about', 'more_than')),
    as_of TEXT,
    source_title TEXT NOT NULL,
    source_publisher TEXT,
    source_url TEXT,
    PRIMARY KEY (cluster_id, kind)
);

CREATE TABLE cluster_successions (
    from_cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    to_cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('renamed', 'merged')),
    on_date TEXT,
    source_title TEXT NOT NULL,
    source_url TEXT,
    PRIMARY KEY (from_cluster_id, to_cluster_id)
);
CREATE INDEX cluster_successions_to ON cluster_successions(to_cluster_id);
