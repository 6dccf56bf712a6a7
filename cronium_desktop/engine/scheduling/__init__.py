"""When things run (SPEC §1): schedule specs and their triggers (`schedules`), cron fields as cron
reads them, business days and calendar schedules, clock changes, and the scheduler that fires them."""
