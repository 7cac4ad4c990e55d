-- Booking: holds, bookings and the bookkeeping that makes retries safe (idempotency keys,
-- webhook de-duplication, consumer cursors for change-feed followers, sent mail).

CREATE TABLE holds (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    show_id    INTEGER NOT NULL REFERENCES shows (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    status     TEXT    NOT NULL CHECK (status IN ('active', 'released', 'expired', 'booked')),
    seat_count INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    currency   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    -- what the client is told; the tickets carry expires_at plus a grace period
    expires_at INTEGER NOT NULL
);
CREATE INDEX holds_user ON holds (user_id);
CREATE INDEX holds_active_expiry ON holds (expires_at) WHERE status = 'active';

-- The seats a hold asked for, kept after the tickets move on, so a payment that arrives after
-- the hold expired can still find (or fail to find) its seats.
CREATE TABLE hold_seats (
    hold_id INTEGER NOT NULL REFERENCES holds (id),
    seat_id INTEGER NOT NULL,
    price   INTEGER NOT NULL,
    PRIMARY KEY (hold_id, seat_id)
);

CREATE TABLE bookings (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    hold_id        INTEGER NOT NULL UNIQUE REFERENCES holds (id),
    user_id        INTEGER NOT NULL REFERENCES users (id),
    show_id        INTEGER NOT NULL REFERENCES shows (id),
    status         TEXT    NOT NULL CHECK (status IN ('pending_payment', 'confirmed', 'payment_failed', 'cancelled', 'refunded')),
    total          INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    provider       TEXT    NOT NULL,
    attempt        INTEGER NOT NULL,
    payment_ref    TEXT,
    failure_reason TEXT,
    refund_status  TEXT CHECK (refund_status IN ('pending', 'succeeded')),
    refund_ref     TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX bookings_user ON bookings (user_id, id);
CREATE INDEX bookings_pending ON bookings (updated_at) WHERE status = 'pending_payment';
CREATE INDEX bookings_refund_pending ON bookings (updated_at) WHERE refund_status = 'pending';
CREATE INDEX bookings_show ON bookings (show_id, status);

-- Idempotency-Key records: the first response to a (scope, key) is replayed for 24 hours.
CREATE TABLE idempotency_keys (
    scope        TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    status_code  INTEGER,
    response     TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);

-- Provider webhook events already applied (de-duplication by event id).
CREATE TABLE webhook_events (
    provider    TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- Cursors of change-feed consumers that must run once per deployment (e.g. the mailer), with a
-- lease so only one instance follows at a time.
CREATE TABLE consumer_cursors (
    name        TEXT    PRIMARY KEY,
    seq         INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER NOT NULL
);

-- Mail produced from the change feed; the key makes each message happen once.
CREATE TABLE sent_mail (
    mail_key TEXT    PRIMARY KEY,
    sent_at  INTEGER NOT NULL
);
