-- The inbox: there is no mail server, so what people must know waits here.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    text_fr TEXT NOT NULL,
    text_en TEXT NOT NULL,
    link TEXT,
    read_at TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, read_at);
