-- After the decision: finalisation, the payment schedule, claims with expense statements,
-- payments and milestones.
ALTER TABLE applications ADD COLUMN finalised_at TEXT;

CREATE TABLE payment_schedule (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    funder TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('advance', 'interim', 'final')),
    due_on TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0)
);
CREATE INDEX payment_schedule_application ON payment_schedule(application_id);

CREATE TABLE payment_claims (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    funder TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('advance', 'interim', 'final')),
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    expenses_cents BIGINT NOT NULL CHECK (expenses_cents >= 0),
    statement TEXT NOT NULL,
    claimed_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    claimed_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'claimed' CHECK (status IN ('claimed', 'paid', 'refused')),
    decided_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    paid_on TEXT,
    reason TEXT
);
CREATE INDEX payment_claims_application ON payment_claims(application_id);

CREATE TABLE milestones (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    due_on TEXT NOT NULL,
    done_on TEXT,
    evidence TEXT
);
