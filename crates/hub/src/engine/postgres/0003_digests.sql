-- Schema 3: what the log last said of each record of the platforms' state (a message, a
-- contact…), by its natural key: a pull that reads the same record again (platforms are re-read
-- where pages overlap) appends nothing, and a changed one is appended again.
CREATE TABLE record_digests (
    key    TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    seq    BIGINT NOT NULL
);
