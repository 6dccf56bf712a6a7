"""Bring existing schedules in: crontab, systemd timers, launchd agents, Task Scheduler tasks.

One parser per source (`cron`, `systemd`, `launchd`, `schtasks`) turns its files into `ParsedJob`s
and `Unconverted` items; `service.ScheduleImports` plans the events (names made unique, jobs already
imported recognised) and creates the ticked ones in one transaction.
"""
