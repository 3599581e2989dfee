-- A real full-text index, kept in the database so that every app server reads the same one
-- and a write is seen by all at its commit: an inverted index (term → posting list of the
-- entries that hold it) scored by BM25 in the application, the same way on both backends.
-- Rebuilt by imports, updated entry by entry by edits.
DROP TABLE search_entries;

CREATE TABLE search_entries (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    title TEXT NOT NULL,
    subtitle TEXT,
    -- The entry's distinct terms, space-separated: what an update must take it out of.
    terms TEXT NOT NULL,
    length BIGINT NOT NULL,
    boost BIGINT NOT NULL,
    -- Facets: a country code; region and sector codes, space-separated; an organisation kind.
    country TEXT,
    regions TEXT,
    sectors TEXT,
    subkind TEXT,
    UNIQUE (kind, ref)
);

-- One posting list per term and kind: seven bytes per entry (see poles_core::search).
CREATE TABLE search_terms (
    term TEXT NOT NULL,
    kind TEXT NOT NULL,
    postings BLOB NOT NULL,
    PRIMARY KEY (term, kind)
) WITHOUT ROWID;

-- Every term once, with how many entries hold it: for prefix and typo look-ups.
CREATE TABLE search_vocab (
    term TEXT PRIMARY KEY,
    df BIGINT NOT NULL
) WITHOUT ROWID;

-- Per kind, the entry count and total length that BM25 needs.
CREATE TABLE search_stats (
    kind TEXT PRIMARY KEY,
    entries BIGINT NOT NULL,
    total_length BIGINT NOT NULL
);

-- The facets of the matched entries read from an index alone.
CREATE INDEX search_entries_facets ON search_entries(id, country, regions, sectors, subkind);
