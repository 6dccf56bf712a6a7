"""Table clauses for reads in SQLAlchemy Core: the columns the light read paths name, with the types
whose values are converted on the way out (JSON, DateTime, Boolean).

The schema is `models.py` (and the migrations that create it); these only name its columns, so that
the list of events, pages of runs, run figures and variables are read without loading the ORM or
the mapped models (`cli/reads.py`: a read command starts in about the time SQLAlchemy takes to
import). `tests/unit/test_tables.py` checks every name and type against the models.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, DateTime, column, table

EVENTS = table(
    "events",
    column("id"), column("name"), column("type"), column("status"), column("trigger"), column("tags", JSON),
    column("execution_count"), column("run_location"), column("description"),
    column("schedule", JSON), column("timezone"), column("start_time", DateTime), column("end_time", DateTime),
    column("activated_at", DateTime),
)
EXECUTIONS = table(
    "executions",
    column("id"), column("event_id"), column("event_name"), column("status"), column("attempt"), column("trigger"),
    column("created_at", DateTime), column("started_at", DateTime), column("finished_at", DateTime),
    column("duration_ms"), column("exit_code"), column("error"), column("workflow_execution_id"),
    column("output", JSON), column("skipped_count"), column("skipped_until", DateTime), column("event_version"),
)
RUN_METRICS = table(
    "run_metrics",
    column("id"), column("execution_id"), column("attempt"), column("event_id"), column("cpu_user_s"),
    column("cpu_system_s"), column("max_rss_bytes"), column("read_bytes"), column("write_bytes"), column("signal"),
    column("limit_reason"), column("queued_s"), column("started_at", DateTime), column("first_output_at", DateTime),
    column("finished_at", DateTime), column("actions_done_at", DateTime),
)
CALENDARS = table("calendars", column("name"), column("country"), column("subdivision"), column("entries", JSON))
VARIABLES = table("variables", column("key"), column("value"), column("secret", Boolean),
                  column("updated_at", DateTime))
