"""The flights bounded context: flights, schedules and seat maps (SQL)."""
