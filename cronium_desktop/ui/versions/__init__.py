"""Version history of events and workflows: the list of versions, their diff, Restore."""
