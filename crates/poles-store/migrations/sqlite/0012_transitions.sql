-- Every state has a way out: an application can be declared ineligible (a new status) and a
-- funding proposal withdrawn by its proposer (a new status); the decisions keep their reason,
-- who took them and when; every submission keeps its snapshot.
--
-- A CHECK constraint changes on SQLite only by rebuilding. The migration runs inside one
-- transaction with foreign keys enforced, where `PRAGMA foreign_keys = OFF` does nothing, so
-- the usual copy-drop-rename of a whole table would cascade its `DROP` into the child tables
-- (partners, labels, reviews, payments, proposal lines). The status column is rebuilt instead:
-- renamed, a new column with the new CHECK added and filled, the old one dropped (which
-- rewrites the table's rows). The rows, their ids, every index, trigger and foreign key of
-- and to the table stay as they were.
ALTER TABLE applications RENAME COLUMN status TO status_before_0012;
ALTER TABLE applications ADD COLUMN status TEXT NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'submitted', 'withdrawn', 'selected', 'rejected', 'ineligible', 'lapsed', 'running', 'closed', 'abandoned'));
UPDATE applications SET status = status_before_0012;
ALTER TABLE applications DROP COLUMN status_before_0012;
-- Why the application was withdrawn, declared ineligible or rejected, by whom and when.
ALTER TABLE applications ADD COLUMN decision_reason TEXT;
ALTER TABLE applications ADD COLUMN decided_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE applications ADD COLUMN decided_at TEXT;

ALTER TABLE funding_proposals RENAME COLUMN status TO status_before_0012;
ALTER TABLE funding_proposals ADD COLUMN status TEXT NOT NULL DEFAULT 'proposed'
    CHECK (status IN ('proposed', 'approved', 'rejected', 'withdrawn', 'lapsed'));
UPDATE funding_proposals SET status = status_before_0012;
ALTER TABLE funding_proposals DROP COLUMN status_before_0012;
ALTER TABLE funding_proposals ADD COLUMN decision_reason TEXT;
ALTER TABLE funding_proposals ADD COLUMN decided_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE funding_proposals ADD COLUMN decided_at TEXT;

-- Every submission's snapshot, oldest first: a resubmission adds one, none is overwritten.
-- `applications.eligibility_at_submission` stays the latest. An application submitted before
-- this migration gets its one snapshot copied here when it is resubmitted (a migration
-- inserts no rows, so that a restore finds a fresh database empty).
CREATE TABLE application_submissions (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    submitted_at TEXT NOT NULL,
    submitted_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    rule_set_id TEXT REFERENCES rule_sets(id),
    eligibility TEXT NOT NULL,
    aid TEXT
);
CREATE INDEX application_submissions_application ON application_submissions(application_id);
