-- Browse lists the events that still have a show to come. Each event keeps the start of its
-- latest scheduled show, so "has one at or after t" is an index range instead of a look at
-- every show; the store recomputes it whenever an event's shows change. Status trails in the
-- indexes so that an `e.status = 'active'` filter alone never makes them look selective.
ALTER TABLE events ADD COLUMN last_show_at BIGINT;
UPDATE events SET last_show_at =
  (SELECT MAX(starts_at) FROM shows WHERE shows.event_id = events.id AND shows.status = 'scheduled');
CREATE INDEX events_upcoming ON events (last_show_at, status);
CREATE INDEX events_upcoming_category ON events (category, last_show_at, status);
