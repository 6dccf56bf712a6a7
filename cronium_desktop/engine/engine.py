"""The facade the window, the CLI and the tests use: one object per data folder.

    engine = Engine(data_dir)
    await engine.start()                 # the run queue (and, for the window/headless, the scheduler)
    execution_id = await engine.runs.start("Backup")
    summary = await engine.runs.wait(execution_id)
    await engine.stop()
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronium_desktop.engine.actions import ConditionalActions
from cronium_desktop.engine.alerts import AlertService
from cronium_desktop.engine.calendars import CalendarService
from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.docker_engine import DockerEngine, DockerUnavailable
from cronium_desktop.engine.event_webhooks import EventWebhooks
from cronium_desktop.engine.events import EventService
from cronium_desktop.engine.executors.base import Executor, Job
from cronium_desktop.engine.executors.container import ContainerExecutor
from cronium_desktop.engine.executors.http import HttpExecutor
from cronium_desktop.engine.executors.local import LocalExecutor, run_folders_root
from cronium_desktop.engine.executors.ssh import SshExecutor
from cronium_desktop.engine.executors.tool import ToolExecutor
from cronium_desktop.engine.files import FileService
from cronium_desktop.engine.folder_changes import FolderChangeWatcher
from cronium_desktop.engine.history import RunHistory
from cronium_desktop.engine.imports.service import ScheduleImports
from cronium_desktop.engine.lock import FolderLock, RunnerPresence
from cronium_desktop.engine.metrics_store import RunMetricsService
from cronium_desktop.engine.notices import Message, NoticeBus
from cronium_desktop.engine.retention import Retention, keep_pruned
from cronium_desktop.engine.runs.drafts import DraftRuns
from cronium_desktop.engine.runs.host import RunHost
from cronium_desktop.engine.runs.queue import RunQueue
from cronium_desktop.engine.runs.runner import NOT_BEGUN, Runner
from cronium_desktop.engine.runs.service import Recovery, RunService
from cronium_desktop.engine.scheduling.scheduler import Scheduler
from cronium_desktop.engine.secrets import SecretStore
from cronium_desktop.engine.servers import ServerService
from cronium_desktop.engine.settings import Settings
from cronium_desktop.engine.store import group
from cronium_desktop.engine.store.backups import daily_backup_due, rolling_backup
from cronium_desktop.engine.store.db import Database
from cronium_desktop.engine.timeline import TimelineService
from cronium_desktop.engine.tools.service import ToolService
from cronium_desktop.engine.triggers.service import TriggerService
from cronium_desktop.engine.variables import VariableService
from cronium_desktop.engine.versions import VersionService
from cronium_desktop.engine.workflows.history import WorkflowHistory
from cronium_desktop.engine.workflows.service import WorkflowService

if TYPE_CHECKING:
    from cronium_desktop.engine.workflows.webhooks import WebhookListener

log = logging.getLogger(__name__)

RECOVERY_RETRY_SECONDS = 2.0
BACKUP_CHECK_SECONDS = 3600.0
RUN_HOST_RETRY_SECONDS = 0.25


class Engine:
    def __init__(self, data_dir: Path, passphrase: str | None = None) -> None:
        data_dir = Path(data_dir).expanduser()
        db = Database(data_dir)
        db.migrate()
        self.ctx = EngineContext(
            data_dir=data_dir,
            db=db,
            secrets=SecretStore(db, data_dir, passphrase=passphrase),
            bus=NoticeBus(),
            settings=Settings(db),
        )
        self.data_dir = data_dir
        # Said once, by whoever opened the folder: the next start finds nothing to tighten.
        self.folder_notice = (f"Made the data folder {data_dir} private to you (0700, files 0600): "
                              "other users could read it.") if db.tightened else None
        self.bus = self.ctx.bus
        self.settings = self.ctx.settings
        self.secrets = self.ctx.secrets
        self.events = EventService(self.ctx)
        self.calendars = CalendarService(self.ctx)
        self.timeline = TimelineService(self.ctx)  # what runs when, for the Timeline page
        self.variables = VariableService(self.ctx)
        self._local = LocalExecutor(run_folders_root(data_dir))
        self._extra_executors: dict[str, Executor] = {}
        self.tools = ToolService(self.ctx)
        self.register_executor("HTTP_REQUEST", HttpExecutor())
        self.register_executor("TOOL_ACTION", ToolExecutor(self.tools))
        self.servers = ServerService(self.ctx)
        self._ssh = SshExecutor(self.servers, run_folders_root(data_dir))
        self.register_executor("REMOTE", self._ssh)
        self.docker = DockerEngine(self.settings)
        self._containers = ContainerExecutor(data_dir, self.docker, run_folders_root(data_dir),
                                             lambda: dict(self.settings.get("container_images") or {}))
        self.register_executor("CONTAINER", self._containers)
        self.webhooks: WebhookListener | None = None  # listening only while this process owns the folder
        self.scheduler: Scheduler | None = None
        self.triggers: TriggerService | None = None  # file, login and condition triggers (scheduler process)
        self._changes: FolderChangeWatcher | None = None  # what other processes change, while we own the folder
        self.run_host: RunHost | None = None  # takes the CLI's runs while we own the folder
        self._lock = FolderLock(data_dir)
        self._presence = RunnerPresence(data_dir)
        self.imports = ScheduleImports(self.ctx, self.events)  # crontab, timers, agents, tasks
        self.metrics = RunMetricsService(self.ctx)  # what runs cost: per run, per event, the week's heaviest
        self.retention = Retention(self.ctx)  # run history kept N days, M runs per event
        self.history = RunHistory(self.ctx)  # dashboard figures and pages of runs at any size
        self.event_webhooks = EventWebhooks(self.ctx)
        self.workflow_history = WorkflowHistory(self.ctx)
        self._started = False
        self._loop_bound = False  # start() ran once: the queue and the runner work on its loop
        self._background: set[asyncio.Future[None]] = set()  # recovery work after start()
        # The run path. Built here, without a loop: the queue and the services take the running loop
        # when they first schedule work, which is after start().
        self._queue = RunQueue(lambda: int(self.settings.get("concurrency")), self._execute, self._cancel)
        self.runs = RunService(self.ctx, self.events, self._queue)
        self.actions = ConditionalActions(self.ctx, self.runs, self.variables, self.tools)
        self.workflows = WorkflowService(self.ctx, self.runs)
        self.files = FileService(self.ctx, self.events, self.workflows)
        self.versions = VersionService(self.ctx, self.events, self.workflows)  # every save's definition, restorable
        self.alerts = AlertService(self.ctx, self.tools)  # late and slow runs
        self.drafts = DraftRuns(self.runs.start)  # runs of unsaved editor text
        self._runner = Runner(
            self.ctx, self.variables, self.drafts.wrap_selector(self._select_executor), self._resubmit,
            self._queue.release, self.drafts.wrap_after_run(self.actions.after_run),
        )
        self._runner.local = self._local
        self.runs.begin_in = self._runner.begin_in
        self._runner.reattachers = {"local": self._local, "ssh": self._ssh, "container": self._containers}

    async def _execute(self, execution_id: int, begun: Any = NOT_BEGUN) -> None:
        await self._runner.execute(execution_id, begun)

    def _cancel(self, execution_id: int) -> bool:
        return self._runner.cancel(execution_id)

    def _resubmit(self, execution_id: int, event_id: int | None, priority: int, exclusive: bool, delay: float) -> None:
        self._queue.submit(execution_id, event_id, priority, exclusive=exclusive, delay=delay)

    async def start(self, scheduler: bool = False) -> None:
        """Bind to the running loop and start the run queue. An engine is started once, before any run
        is started through it; `stop()` ends it.

        With `scheduler=True` this process owns the data folder: it recovers runs a previous process
        left behind (once no CLI command is running any) and fires schedules. CLI commands start
        without it, and let the scheduler know they are running executions.
        """
        if self._started:
            return
        self.bus.bind_loop(asyncio.get_running_loop())
        self._loop_bound = True
        if scheduler:
            self._lock.acquire()  # raises FolderLocked naming the running scheduler's PID
        else:
            await asyncio.to_thread(self._presence.announce)
        self._started = True
        if scheduler:
            self.run_host = RunHost(self.data_dir, self.runs, self.bus, self.workflows)
            if self.run_host.try_acquire():
                await self.run_host.serve()
            else:  # a `run` command hosts the folder's runs until it ends: ours wait, to share its rules
                self._queue.hold()
                self._in_background(self._become_run_host(self.run_host))
            marks = await asyncio.to_thread(lambda: (self.runs.last_execution_id(), self.workflows.last_run_id()))
            if not await self._recover(marks):
                self._in_background(self._recover_later(marks))
            self._in_background(self._daily_backups())
            self._in_background(keep_pruned(self.retention))
            await self.servers.start()
            # Started before the scheduler: catch-up runs at start pass its condition gate.
            self.triggers = TriggerService(self.ctx, self.runs, self._start_workflow_with_input)
            await self.triggers.start()
            self.scheduler = Scheduler(self.ctx, self.runs, self._start_workflow)
            self.scheduler.gate = self.triggers
            await self.scheduler.start()
            self._changes = FolderChangeWatcher(self.ctx.db.path, self.bus, self._settings_changed_elsewhere)
            await self._changes.start()
            # aiohttp's server is loaded here, by the process that owns the folder, not by every command.
            from cronium_desktop.engine.workflows.webhooks import WebhookListener

            self.webhooks = WebhookListener(self.workflows, int(self.settings.get("webhook_port")),
                                            self.event_webhooks, self.runs.start)
            try:
                await self.webhooks.start()
            except OSError as error:
                self.webhooks = None
                self.bus.publish(Message("error", f"The webhook listener could not start on 127.0.0.1:"
                                         f"{self.settings.get('webhook_port')} ({error.strerror}); choose another port in Settings."))

    async def _become_run_host(self, host: RunHost) -> None:
        while not host.try_acquire():
            await asyncio.sleep(RUN_HOST_RETRY_SECONDS)
        await host.serve()
        self._queue.resume()

    def _settings_changed_elsewhere(self) -> None:
        self.settings.forget()
        self._queue.limit_changed()

    async def _recover(self, marks: tuple[int, int]) -> bool:
        """Recover the runs a stopped process left behind, if no other process is running any.

        Only runs recorded before this process started are considered (`marks`: the last execution
        and workflow run ids then). Returns False when a CLI command is still running some.
        """
        workflows, queue = self.workflows, self._queue

        def recover() -> Recovery:
            recovery = self.runs.recover_left_behind(marks[0], self._left_behind)
            workflows.recover_left_behind(marks[1])
            going_on = {execution_id for execution_id, _, _ in recovery.reattach}
            self._local.remove_ended(marks[0], going_on)
            self._ssh.remove_ended(marks[0], going_on)
            self._remove_left_behind_containers(recovery.interrupted)
            return recovery

        alone, recovery = await asyncio.to_thread(self._presence.run_alone, recover)
        if not alone or recovery is None:
            return False
        for execution_id, event_id, folder in recovery.reattach:
            queue.adopt(execution_id, event_id, self._runner.adopt(execution_id, folder))
        for execution_id, event_id, priority, exclusive, delay in recovery.queue:
            queue.submit(execution_id, event_id, priority, exclusive=exclusive, delay=delay)
        if recovery.finished:
            self._in_background(self._after_recovered(recovery.finished))
        return True

    def _left_behind(self, execution_id: int) -> tuple[str, Any] | None:
        """What a run left RUNNING by a stopped app left to follow again: (kind, what), or None."""
        folder = self._local.attachable(execution_id)
        if folder is not None:
            return "local", folder
        records = self._ssh.left_behind(execution_id)
        if records:
            return "ssh", records
        container = self._containers.left_behind(execution_id)
        return ("container", container) if container is not None else None

    def _remove_left_behind_containers(self, execution_ids: list[int]) -> None:
        """Containers of interrupted runs are still running (Docker owns them): remove them."""
        if not execution_ids:
            return  # the usual start: no need to reach Docker at all
        try:
            removed = self._containers.remove_left_behind(execution_ids)
        except DockerUnavailable as error:
            log.warning("Containers of interrupted runs could not be removed: %s", error)
            return
        if removed:
            log.info("Removed %d container(s) of runs interrupted by the last stop.", removed)

    async def _recover_later(self, marks: tuple[int, int]) -> None:
        log.warning("Runs of another process are going on: recovering stopped runs once it is done.")
        while not await self._recover(marks):
            await asyncio.sleep(RECOVERY_RETRY_SECONDS)

    async def _daily_backups(self) -> None:
        """While this process owns the data folder, keep a backup of the store at most a day old."""
        while True:
            try:
                if await asyncio.to_thread(daily_backup_due, self.data_dir):
                    await asyncio.to_thread(rolling_backup, self.ctx.db.path, "daily")
            except (OSError, sqlite3.Error) as error:
                self.bus.publish(Message("error", f"The daily backup of the store failed: {error}."))
            await asyncio.sleep(BACKUP_CHECK_SECONDS)

    async def _after_recovered(self, execution_ids: list[int]) -> None:
        """Runs that ended as interrupted get their conditional actions, as any run that ends."""
        for execution_id in execution_ids:
            await self.actions.after_run(execution_id)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop(self, grace_seconds: float = 10.0, let_runs_finish: bool | None = None) -> None:
        """Stop firing schedules, wait up to `grace_seconds` for running runs, then cancel them.

        `let_runs_finish` (default: the `on_stop` setting): local runs go on without the app and
        the next start follows them again; other runs are stopped as usual."""
        if let_runs_finish is None:
            let_runs_finish = self._started and self.settings.get("on_stop") == "let_finish"
        if let_runs_finish and self._loop_bound:
            self._local.keep_running = self._ssh.keep_running = True
            self._runner.detaching = True
            grace_seconds = 0.0
        for task in list(self._background):
            task.cancel()
        if self.webhooks is not None:
            await self.webhooks.stop()
            self.webhooks = None
        if self.run_host is not None:
            await self.run_host.stop_listening()  # runs handed over already go on like our own
        if self._changes is not None:
            await self._changes.stop()
            self._changes = None
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        if self.triggers is not None:
            await self.triggers.stop()
            self.triggers = None
        if self._started:
            await self.workflows.stop()
            self.alerts.stop()
        if self._loop_bound:
            await self._queue.stop(grace_seconds)
        if self.run_host is not None:
            await self.run_host.stop(grace_seconds=5)  # their clients hear how the runs ended
            self.run_host = None
        await self.servers.stop()
        self._local.close()  # after the runs: their scripts asked through it
        self._started = False
        self._presence.withdraw()
        await group.writer(self.ctx.db).flush()  # its connection closed before the store is
        self._lock.release()
        self.ctx.db.close()

    @property
    def running_count(self) -> int:
        """How many runs this process has going right now."""
        return len(self._queue.running_ids())

    @property
    def owns_data_folder(self) -> bool:
        """True when this process runs the scheduler for the data folder."""
        return self._lock.held

    async def _start_workflow(self, workflow_id: int, trigger: str) -> None:
        await self.workflows.run(workflow_id, trigger=trigger)

    async def _start_workflow_with_input(self, workflow_id: int, input: Any, trigger: str) -> int:
        return await self.workflows.run(workflow_id, input=input, trigger=trigger)

    def register_executor(self, key: str, executor: Executor) -> None:
        """Executors beyond local processes: "HTTP_REQUEST", "TOOL_ACTION", "REMOTE", "CONTAINER"."""
        self._extra_executors[key] = executor

    def _select_executor(self, job: Job) -> Executor | str:
        if job.event_type in ("HTTP_REQUEST", "TOOL_ACTION"):
            key = job.event_type
        elif job.run_location in ("REMOTE", "CONTAINER"):
            key = job.run_location
        else:
            return self._local
        executor = self._extra_executors.get(key)
        if executor is None:
            what = {"HTTP_REQUEST": "HTTP request events", "TOOL_ACTION": "Tool actions",
                    "REMOTE": "Remote (SSH) runs", "CONTAINER": "Container runs"}[key]
            return f"{what} are not available in this version of Cronium Desktop."
        return executor
