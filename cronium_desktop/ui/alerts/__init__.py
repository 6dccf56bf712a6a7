"""Late and slow run alerts: an event's own rules (the Dashboard lists the alerts themselves)."""
