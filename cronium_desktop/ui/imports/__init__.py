"""The "Import schedules…" dialog: crontab, systemd timers, launchd agents, Task Scheduler tasks."""

from cronium_desktop.ui.imports.dialog import ImportSchedulesDialog, open_import_schedules_dialog

__all__ = ["ImportSchedulesDialog", "open_import_schedules_dialog"]
