-- Organisations sort on a stored key, their name folded (accents, case, punctuation), so that
-- "Céramique" comes before "Cosmetic Valley" and both databases give the same order whatever
-- their collation. Written with the name by every write; rows of before this migration get
-- theirs at the next start.
ALTER TABLE organisations ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
CREATE INDEX organisations_name_key ON organisations(name_key, id);
