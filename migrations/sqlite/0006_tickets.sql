-- Tickets and check-in: signing keys, the tickets issued for confirmed bookings (with their
-- codes), and the scans at the doors.
--
-- The `staff` role needs a wider CHECK on users.role. SQLite cannot alter a CHECK, and the
-- usual table rebuild needs foreign keys off, which cannot be switched inside the migration's
-- transaction. Widening a CHECK changes nothing stored, so this uses SQLite's documented
-- procedure for such changes: rewrite the table's definition in sqlite_master. The CREATE
-- statements after it change the schema cookie, so every connection re-reads the schema.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, 'CHECK (role IN (''buyer'', ''admin''))',
                          'CHECK (role IN (''buyer'', ''admin'', ''staff''))')
 WHERE type = 'table' AND name = 'users';
PRAGMA writable_schema = OFF;

-- Ed25519 signing keys. Exactly one is active (signs new tickets); older ones stay published so
-- the tickets they signed keep verifying after a rotation. Keys are base64url: the private
-- column is the 32-byte seed and never leaves the server.
CREATE TABLE ticket_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    public_key  TEXT    NOT NULL,
    private_key TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    active      BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX ticket_keys_one_active ON ticket_keys (active) WHERE active;

-- One row per seat of a confirmed booking (generation 0), plus one per transfer (the next
-- generation, held by the recipient, while the one it replaces is revoked). Whether a ticket
-- admits anyone is derived at check-in: not revoked, and its booking still confirmed — so
-- cancelling or refunding a booking voids its tickets without touching them.
CREATE TABLE issued_tickets (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id     INTEGER NOT NULL REFERENCES bookings (id),
    show_id        INTEGER NOT NULL REFERENCES shows (id),
    seat_id        INTEGER NOT NULL REFERENCES seats (id),
    generation     INTEGER NOT NULL,
    holder_id      INTEGER NOT NULL REFERENCES users (id),
    key_id         INTEGER NOT NULL REFERENCES ticket_keys (id),
    code           TEXT    NOT NULL,
    issued_at      INTEGER NOT NULL,
    revoked_at     INTEGER,
    transferred_to INTEGER REFERENCES issued_tickets (id),
    -- issuing is idempotent: a second (or concurrent) first read finds the same tickets
    UNIQUE (booking_id, seat_id, generation)
);
CREATE INDEX issued_tickets_holder ON issued_tickets (holder_id) WHERE revoked_at IS NULL;
CREATE INDEX issued_tickets_show ON issued_tickets (show_id);

-- A ticket is checked in at most once: the primary key is the guard when two gates scan the
-- same code at the same moment (one insert wins, the other finds the first scan).
CREATE TABLE checkins (
    ticket_id   INTEGER PRIMARY KEY REFERENCES issued_tickets (id),
    gate        TEXT,
    -- when the scanner saw the code; an offline scanner reports it when it syncs
    scanned_at  INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    staff_id    INTEGER NOT NULL REFERENCES users (id)
);
