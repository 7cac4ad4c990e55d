-- On-sale surge: waiting-room settings per show, the seat waitlist, and shared secrets.

-- The organiser's cap on buyers shopping at once behind the waiting room (NULL: no cap beyond
-- what the inventory allows), and how long an admission lasts.
ALTER TABLE shows ADD COLUMN room_max_active INTEGER;
ALTER TABLE shows ADD COLUMN shopping_window_seconds INTEGER NOT NULL DEFAULT 600;

-- Buyers waiting for seats that others hold. When seats free up, the longest waiter whose
-- quantity fits gets a hold on them in the same transaction that frees them.
CREATE TABLE waitlist (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    show_id    INTEGER NOT NULL REFERENCES shows (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    quantity   INTEGER NOT NULL,
    section_id INTEGER REFERENCES sections (id),
    status     TEXT    NOT NULL CHECK (status IN ('waiting', 'offered', 'expired', 'sold_out', 'left')),
    hold_id    INTEGER REFERENCES holds (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX waitlist_queue ON waitlist (show_id, id) WHERE status = 'waiting';
CREATE UNIQUE INDEX waitlist_one_per_user ON waitlist (show_id, user_id) WHERE status = 'waiting';
CREATE INDEX waitlist_expiry ON waitlist (expires_at) WHERE status = 'waiting';

-- Secrets every instance must share (the waiting room's signing key), made by whichever
-- instance needs one first.
CREATE TABLE shared_secrets (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
