-- Joining a pôle (issue 14). A member chooses whether the pôle's public pages and the open
-- data list it; it is counted in the pôle's size either way.
ALTER TABLE memberships ADD COLUMN shown_publicly BIGINT NOT NULL DEFAULT 1;

-- Memberships that ended: members leave and may rejoin, and the history is kept. The
-- current memberships stay in `memberships`, which every read of the registry uses.
CREATE TABLE past_memberships (
    id INTEGER PRIMARY KEY,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    since TEXT,
    until TEXT NOT NULL,
    reason TEXT,
    source TEXT NOT NULL,
    shown_publicly BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX past_memberships_cluster ON past_memberships(cluster_id);
CREATE INDEX past_memberships_organisation ON past_memberships(organisation_id);

-- An organisation asks to join a pôle; the pôle's managers (or the programme's officers)
-- accept or decline with a reason. An organisation the registry does not hold yet (a
-- foreign company, say) is named by the request (new_*) and created on acceptance.
CREATE TABLE join_requests (
    id INTEGER PRIMARY KEY,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organisation_id BIGINT REFERENCES organisations(id) ON DELETE CASCADE,
    new_name TEXT,
    new_country TEXT,
    new_kind TEXT,
    new_website TEXT,
    role TEXT NOT NULL DEFAULT 'member',
    shown_publicly BIGINT NOT NULL DEFAULT 1,
    message TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    reason TEXT,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    CHECK (organisation_id IS NOT NULL OR new_name IS NOT NULL)
);
CREATE INDEX join_requests_cluster ON join_requests(cluster_id, status);
CREATE INDEX join_requests_user ON join_requests(user_id);

-- Partner search (issue 14): what an organisation offers and looks for, written by its
-- members, searched with its competences and the topics of its past projects.
ALTER TABLE organisations ADD COLUMN offer TEXT;
ALTER TABLE organisations ADD COLUMN seek TEXT;
-- The search's facets for organisations: the NAF division and the headcount band they
-- declare, the pôles they are a listed member of (slugs, space-separated).
ALTER TABLE search_entries ADD COLUMN naf TEXT;
ALTER TABLE search_entries ADD COLUMN size TEXT;
ALTER TABLE search_entries ADD COLUMN poles TEXT;
-- An index built before these facets lacks them: rebuilt at the next start.
DELETE FROM meta WHERE key = 'search_index_version';

-- Expressions of interest between organisations: a member of one writes to another; one of
-- the other's members accepts (both sides then see each other's address) or declines. No
-- address is shown before acceptance.
CREATE TABLE interest_messages (
    id INTEGER PRIMARY KEY,
    from_user BIGINT REFERENCES users(id) ON DELETE SET NULL,
    from_organisation BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    to_organisation BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at TEXT NOT NULL,
    answered_at TEXT,
    answered_by BIGINT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX interest_messages_to ON interest_messages(to_organisation, status);
CREATE INDEX interest_messages_from ON interest_messages(from_organisation);

-- Partnerships between pôles as a workflow: one side proposes, the other confirms or
-- declines; either ends it. A partnership with a foreign cluster (which has no account
-- here) stands on its source and document. Rows recorded before stand as confirmed.
ALTER TABLE partnerships ADD COLUMN status TEXT NOT NULL DEFAULT 'confirmed';
ALTER TABLE partnerships ADD COLUMN end_date TEXT;
ALTER TABLE partnerships ADD COLUMN document_url TEXT;
ALTER TABLE partnerships ADD COLUMN answered_at TEXT;
