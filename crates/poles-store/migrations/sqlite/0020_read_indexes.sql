-- Indexes for the organisation list's common views, each in the order the list sorts, so
-- that a page of twenty reads twenty index entries and its count reads the index alone (the
-- views filter out the demo's invented organisations, then by country or kind).
CREATE INDEX organisations_view_country ON organisations(fictional, country, name_key, id);
CREATE INDEX organisations_view_kind ON organisations(fictional, kind, name_key, id);
CREATE INDEX organisations_view_name ON organisations(fictional, name_key, id);
-- The counts of the list's choices (kinds within a country, countries within a kind) read
-- an index alone.
CREATE INDEX organisations_facet_country_kind ON organisations(fictional, country, kind);
CREATE INDEX organisations_facet_kind_country ON organisations(fictional, kind, country);
