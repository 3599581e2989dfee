-- Blind review, funding proposals with four-eyes approval, and the amounts that need two
-- approvers. Envelopes are the call's funders' `envelope_cents`.
ALTER TABLE calls ADD COLUMN two_approvals_above_cents BIGINT;

CREATE TABLE review_assignments (
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    reviewer_id BIGINT NOT NULL REFERENCES users(id),
    assigned_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    assigned_at TEXT NOT NULL,
    conflict_declared BIGINT NOT NULL DEFAULT 0,
    conflict_reason TEXT,
    submitted_at TEXT,
    PRIMARY KEY (application_id, reviewer_id)
);

CREATE TABLE review_scores (
    application_id BIGINT NOT NULL,
    reviewer_id BIGINT NOT NULL,
    criterion BIGINT NOT NULL,
    score BIGINT NOT NULL CHECK (score BETWEEN 0 AND 10),
    comment TEXT,
    PRIMARY KEY (application_id, reviewer_id, criterion),
    FOREIGN KEY (application_id, reviewer_id) REFERENCES review_assignments(application_id, reviewer_id) ON DELETE CASCADE
);

CREATE TABLE funding_proposals (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id),
    proposed_by BIGINT NOT NULL REFERENCES users(id),
    proposed_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected', 'lapsed')),
    approvals_needed BIGINT NOT NULL,
    validation_date TEXT
);
CREATE INDEX funding_proposals_application ON funding_proposals(application_id);

CREATE TABLE funding_lines (
    proposal_id BIGINT NOT NULL REFERENCES funding_proposals(id) ON DELETE CASCADE,
    funder TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    PRIMARY KEY (proposal_id, funder)
);

CREATE TABLE funding_approvals (
    proposal_id BIGINT NOT NULL REFERENCES funding_proposals(id) ON DELETE CASCADE,
    approver_id BIGINT NOT NULL REFERENCES users(id),
    approved_at TEXT NOT NULL,
    PRIMARY KEY (proposal_id, approver_id)
);
