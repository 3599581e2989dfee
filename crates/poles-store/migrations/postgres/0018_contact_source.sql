-- Where a pôle's contact point was read, shown beside it like the website's source.
ALTER TABLE clusters ADD COLUMN contact_source TEXT;
