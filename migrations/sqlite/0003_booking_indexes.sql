-- Best available also offers seats whose hold has lapsed but not yet been swept. Those are
-- few, while live holds are many during an on-sale: this index finds the lapsed ones of a
-- section without walking every live hold.
CREATE INDEX tickets_held_section ON tickets (show_id, section_id, hold_expires_at) WHERE status = 'held';
-- Cancelling a booking frees its tickets by booking id.
CREATE INDEX tickets_booking ON tickets (booking_id) WHERE booking_id IS NOT NULL;
-- Webhooks that carry no booking id find the booking by the provider's payment reference.
CREATE INDEX bookings_payment ON bookings (provider, payment_ref);
