-- The audit chain gets a key: each row is signed (HMAC-SHA256) with a secret kept outside the
-- database, over its id, its content and the previous row's hash, and names the key that
-- signed it. Rows written before (no key_id) keep their plain SHA-256 hash.
ALTER TABLE audit_log ADD COLUMN key_id TEXT;
-- The request id is the server's; the id a client sent is kept apart (64 visible characters
-- at most, checked by the web layer).
ALTER TABLE audit_log ADD COLUMN client_request_id TEXT;

-- The personal part of audit rows changes only through erasure, which clears the e-mail and
-- address of the rows of the user it erases. Erasure holds a row here for that user while it
-- clears them, inserted and deleted in its own transaction, so that no other transaction
-- ever sees it.
CREATE TABLE audit_erasure (
    user_id BIGINT PRIMARY KEY
);

CREATE TRIGGER audit_personal_only_erased BEFORE UPDATE ON audit_personal
WHEN NEW.audit_id IS NOT OLD.audit_id
    OR NEW.actor_email IS NOT NULL
    OR NEW.ip IS NOT NULL
    OR NOT EXISTS (
        SELECT 1 FROM audit_erasure e JOIN audit_log a ON a.actor_id = e.user_id
        WHERE a.id = OLD.audit_id
    )
BEGIN
    SELECT RAISE(ABORT, 'audit_personal changes only through erasure');
END;

CREATE TRIGGER audit_personal_no_delete BEFORE DELETE ON audit_personal
BEGIN
    SELECT RAISE(ABORT, 'audit_personal changes only through erasure');
END;
