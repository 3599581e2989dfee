-- Mail leaves from an outbox: a row is written in the transaction of the action that causes
-- it, and a sender task on any app server delivers it through SMTP, retrying with growing
-- delays, so that a mail-server outage (or no mail server configured yet) loses nothing.
-- A sender claims rows with a lease (`lease_until`, Unix seconds) so that two servers never
-- send the same row at once.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    to_address TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    -- Unix seconds: not tried before then.
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    sent_at TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(sent_at, next_attempt_at);
CREATE INDEX mail_outbox_to ON mail_outbox(to_address);

-- Self sign-up: an account cannot sign in before its address is verified. Accounts made by
-- admins and the command line are verified (the default).
ALTER TABLE users ADD COLUMN email_verified BIGINT NOT NULL DEFAULT 1;

-- Verification links: only a SHA-256 of the token is kept; single use, expiring.
CREATE TABLE email_verifications (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX email_verifications_user ON email_verifications(user_id);

-- A verified user asks to act for an organisation (found by SIREN, PIC or name); an admin
-- or a member the organisation already has approves (granting organisation_member) or
-- declines with a reason.
CREATE TABLE organisation_claims (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'declined')),
    message TEXT,
    reason TEXT,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by BIGINT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX organisation_claims_org ON organisation_claims(organisation_id, status);
CREATE UNIQUE INDEX organisation_claims_one_pending ON organisation_claims(user_id, organisation_id) WHERE status = 'pending';
