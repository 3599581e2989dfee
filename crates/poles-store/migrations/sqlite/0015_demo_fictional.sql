-- The demo's workflow (a call open on the day of first start, applications at every stage)
-- is invented: its organisations and calls carry a flag, every page that shows them says
-- so, and the open data (exports, registry lists, search) leaves them out. An application
-- is fictional when its call is.
ALTER TABLE organisations ADD COLUMN fictional INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN fictional INTEGER NOT NULL DEFAULT 0;
