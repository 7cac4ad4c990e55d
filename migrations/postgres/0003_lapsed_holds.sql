-- Best available also offers seats whose hold has lapsed but not yet been swept. Those are
-- few, while live holds are many during an on-sale: this index finds the lapsed ones of a
-- section without walking every live hold.
CREATE INDEX tickets_held_section ON tickets (show_id, section_id, hold_expires_at) WHERE status = 'held';
