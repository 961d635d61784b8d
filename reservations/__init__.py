"""The reservations bounded context: seat reservations in Redis, with an event log."""
