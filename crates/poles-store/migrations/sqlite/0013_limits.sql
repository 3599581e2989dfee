-- The limits real programmes enforce.
-- A partner's territory and R&D-zone status follow from its R&D commune when the
-- application is read (commune → region → the labelling pôles' regions and R&D zones):
-- the boxes the applicant used to tick go.
ALTER TABLE application_partners DROP COLUMN in_labelling_territory;
ALTER TABLE application_partners DROP COLUMN in_lead_territory;

-- Payment releases need two people: one officer proposes the payment of a claim (kept on
-- the claim, which stays `claimed`), another releases it (`paid`, `decided_by`).
ALTER TABLE payment_claims ADD COLUMN release_proposed_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE payment_claims ADD COLUMN release_proposed_at TEXT;
ALTER TABLE payment_claims ADD COLUMN release_paid_on TEXT;
