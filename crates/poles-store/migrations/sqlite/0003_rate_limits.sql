-- Request counters per client and time window, shared by every app server.
CREATE TABLE rate_counters (
    key TEXT NOT NULL,
    window_start TEXT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
