"""Settings per deployable: flights, reservations, gateway, and platform (all in one process)."""
