-- Failed sign-ins, one row per failure with its account (the e-mail as typed, normalised)
-- and address, so that the limits can count one account from one address, one account from
-- anywhere (for its growing delays) and the distinct accounts one address failed on. Shared
-- by every app server; rows older than the window are deleted as new attempts come. The
-- former table of one counter per key goes (its rows are short-lived counters).
DROP TABLE auth_failures;

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    -- Unix seconds.
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures(account, at);
CREATE INDEX login_failures_address ON login_failures(address, at);
CREATE INDEX login_failures_at ON login_failures(at);
