"""Triggers beyond schedules (SPEC §1, §5): file changes, login, conditions, catch-up after sleep.

`spec` (the fields and their rules), `words` (said in words), `watch` (folders, watchdog),
`conditions` (power, network, idle, quiet hours), `records` (skipped runs, log notes), `catchup`
(misfire plans after sleep or downtime) and `service` (the trigger service the engine runs).
"""
