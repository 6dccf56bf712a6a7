"""Message templates rendered in a child process with hard limits (SPEC §4: bounded templates).

The sandbox in `messages.py` stops templates reaching Python internals, but it cannot stop one from
looping for hours (`range(100000)` inside `range(100000)`) or allocating a gigabyte in one C call
(`'%01000000000d' % 1`, `center(1e9)`), and a thread running such a template can never be stopped.
A process can: each template renders in a short-lived child whose address space and CPU time are
capped by the operating system, and which is killed when it runs past its deadline. Whatever the
template does, the run, the queue and shutdown wait at most `RENDER_SECONDS` for it.

Run as ``python -m cronium_desktop.engine.template_process``: reads one JSON request on stdin,
writes one JSON answer on stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cronium_desktop.engine.messages import TemplateError

RENDER_SECONDS = 2.0
STARTUP_SECONDS = 60.0
_READY = b"ready\n"
MEMORY_LIMIT_BYTES = 256 * 1024 * 1024  # a child's whole address space, interpreter included
CPU_LIMIT_SECONDS = 3  # the OS stops the child even if this process is gone
WORKER_ENV = "CRONIUM_DESKTOP_RENDER_TEMPLATE"
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_MEMORY_PROBLEM = f"needed more than {MEMORY_LIMIT_BYTES // 2**20} MB of memory and was stopped."


async def render_bounded(template: str, scope: Mapping[str, Any], template_name: str = "body") -> str:
    """Render `template` in a child process; TemplateError on any problem, a bound included."""
    if not template:
        return ""
    request = json.dumps({"template": template, "scope": scope, "name": template_name}, default=str).encode()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRONIUM_")}  # no passphrase
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    env[WORKER_ENV] = "1"
    # A bundled app has no `-m`: its entry point (cli.main) sees WORKER_ENV and renders instead.
    command = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", __name__]
    child = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=env,
    )
    assert child.stdin is not None and child.stdout is not None
    ready = b""
    try:
        # Starting Python is not the template's time: on a busy computer it alone can take seconds.
        ready = await asyncio.wait_for(child.stdout.readline(), STARTUP_SECONDS)
        if ready != _READY:
            raise TemplateError(template_name, "could not be rendered: the template renderer did not start.")
        async with asyncio.timeout(RENDER_SECONDS):
            child.stdin.write(request)
            await child.stdin.drain()
            child.stdin.close()
            answer = await child.stdout.read()
    except TimeoutError:
        if ready != _READY:
            raise TemplateError(template_name, "could not be rendered: the template renderer did not start.") from None
        raise TemplateError(template_name, f"took longer than {RENDER_SECONDS:g} s to render and was stopped.") from None
    finally:
        if child.returncode is None:  # past the deadline, or the action was cancelled (shutdown)
            child.kill()
        await child.wait()
    try:
        result = json.loads(answer)
    except ValueError:
        # Killed by its CPU limit, or MemoryError while reporting a MemoryError.
        raise TemplateError(template_name, _MEMORY_PROBLEM if child.returncode else "failed to render.") from None
    if "problem" in result:
        raise TemplateError(template_name, result["problem"])
    return str(result["text"])


def _limit_resources() -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: the deadline still holds
        return
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(usage.ru_utime + usage.ru_stime) + 1  # the limit counts the start-up's CPU time too
    resource.setrlimit(resource.RLIMIT_CPU, (spent + CPU_LIMIT_SECONDS, spent + CPU_LIMIT_SECONDS))


def serve_one() -> None:
    """Render the one template on stdin (the child's whole life)."""
    _main()


def _main() -> None:
    from cronium_desktop.engine.messages import render

    sys.stdout.buffer.write(_READY)
    sys.stdout.flush()
    request = json.loads(sys.stdin.buffer.read())
    _limit_resources()  # after the imports and the request: only the template is bounded
    try:
        answer: dict[str, str] = {"text": render(request["template"], request["scope"], request["name"])}
    except TemplateError as error:
        answer = {"problem": error.problem}
    except MemoryError:
        answer = {"problem": _MEMORY_PROBLEM}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    _main()
