-- Box Office schema, SQLite flavour. Times are unix milliseconds (INTEGER) so the same
-- queries run unchanged on PostgreSQL; money is integer minor units plus a currency code.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('buyer', 'admin')),
    created_at    INTEGER NOT NULL
);

-- Bearer sessions: only the SHA-256 of the token is stored, so a leaked table grants nothing.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE cities (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    name    TEXT NOT NULL,
    country TEXT NOT NULL,
    -- lower-cased name, so browse by city is an index lookup whatever the caller's casing
    key     TEXT NOT NULL,
    UNIQUE (key, country)
);

CREATE TABLE venues (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    city_id    INTEGER NOT NULL REFERENCES cities (id),
    address    TEXT    NOT NULL,
    lat        REAL    NOT NULL,
    lon        REAL    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX venues_city ON venues (city_id);

CREATE TABLE sections (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    venue_id INTEGER NOT NULL REFERENCES venues (id),
    name     TEXT    NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN ('seated', 'standing')),
    capacity INTEGER NOT NULL,
    position INTEGER NOT NULL,
    UNIQUE (venue_id, name)
);

-- Every place a ticket can be sold for. Standing sections get one unnumbered place per unit of
-- capacity (row_label NULL), so one invariant covers seated and standing inventory alike.
CREATE TABLE seats (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    section_id INTEGER NOT NULL REFERENCES sections (id),
    row_label  TEXT,
    row_rank   INTEGER NOT NULL,
    number     INTEGER NOT NULL,
    x          REAL    NOT NULL,
    y          REAL    NOT NULL
);
CREATE INDEX seats_section ON seats (section_id, row_rank, number);

CREATE TABLE performers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    genre       TEXT,
    description TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    venue_id    INTEGER NOT NULL REFERENCES venues (id),
    status      TEXT    NOT NULL CHECK (status IN ('active', 'cancelled')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX events_venue ON events (venue_id);
CREATE INDEX events_category ON events (category);

CREATE TABLE event_performers (
    event_id     INTEGER NOT NULL REFERENCES events (id),
    performer_id INTEGER NOT NULL REFERENCES performers (id),
    position     INTEGER NOT NULL,
    PRIMARY KEY (event_id, performer_id)
);
CREATE INDEX event_performers_performer ON event_performers (performer_id);

CREATE TABLE shows (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id         INTEGER NOT NULL REFERENCES events (id),
    starts_at        INTEGER NOT NULL,
    on_sale_at       INTEGER NOT NULL,
    hold_ttl_seconds INTEGER NOT NULL,
    max_per_order    INTEGER NOT NULL,
    waiting_room     BOOLEAN NOT NULL,
    currency         TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
    created_at       INTEGER NOT NULL
);
CREATE INDEX shows_event ON shows (event_id, starts_at);
CREATE INDEX shows_starts ON shows (starts_at);

CREATE TABLE show_prices (
    show_id    INTEGER NOT NULL REFERENCES shows (id),
    section_id INTEGER NOT NULL REFERENCES sections (id),
    amount     INTEGER NOT NULL,
    PRIMARY KEY (show_id, section_id)
);

-- One row per seat per show: the unit of inventory. A ticket is claimed by at most one live hold
-- or one sold booking; claims are conditional UPDATEs that treat an expired hold as free.
CREATE TABLE tickets (
    show_id         INTEGER NOT NULL REFERENCES shows (id),
    seat_id         INTEGER NOT NULL REFERENCES seats (id),
    section_id      INTEGER NOT NULL,
    -- row_rank * 1000 + seat number: best-available order, kept on the ticket so choosing
    -- seats is an index scan whatever the show's fill
    seat_rank       INTEGER NOT NULL,
    price           INTEGER NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('available', 'held', 'sold')),
    hold_id         INTEGER,
    hold_expires_at INTEGER,
    booking_id      INTEGER,
    PRIMARY KEY (show_id, seat_id)
);
CREATE INDEX tickets_hold ON tickets (hold_id) WHERE hold_id IS NOT NULL;
CREATE INDEX tickets_held_expiry ON tickets (hold_expires_at) WHERE status = 'held';
CREATE INDEX tickets_best ON tickets (show_id, section_id, status, seat_rank);

-- The change feed: an append-only log written in the same transaction as every catalog or
-- inventory change. Consumers (search, seat-map streams, caches, mail) follow it by `seq`.
CREATE TABLE change_feed (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    topic     TEXT    NOT NULL,
    entity_id INTEGER NOT NULL,
    show_id   INTEGER,
    payload   TEXT    NOT NULL
);
