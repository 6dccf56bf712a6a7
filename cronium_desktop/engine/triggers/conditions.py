"""Whether an event's or workflow's conditions hold right now (SPEC §1 conditions).

Power and idle time come from the platform layer (`engine/platform/machine.py`); the network is
checked here: "up" means the computer has a route out (a UDP socket can be connected; no packet is
sent), HOST:PORT means a TCP connection to it succeeds within a few seconds.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from cronium_desktop.engine.platform.machine import MachineState, machine_for
from cronium_desktop.engine.triggers.spec import HOST_PORT, parse_clock

CONNECT_TIMEOUT_SECONDS = 3.0
# A documentation address (TEST-NET-1): connecting a UDP socket to it only asks for a route.
ROUTE_PROBE = ("192.0.2.1", 9)


@dataclass(frozen=True)
class Verdict:
    holds: bool
    reason: str = ""  # why not, in words, when it does not hold


def has_route() -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(ROUTE_PROBE)
        except OSError:
            return False
        return not probe.getsockname()[0].startswith("127.")


def within_quiet_hours(now: datetime, start: str, end: str) -> bool:
    """`now` (local time of the item) lies in [start, end), which may pass midnight."""
    minute = now.hour * 60 + now.minute
    begin = parse_clock(start, "not_between")
    finish = parse_clock(end, "not_between")
    first, last = begin[0] * 60 + begin[1], finish[0] * 60 + finish[1]
    return first <= minute < last if first < last else minute >= first or minute < last


class ConditionChecker:
    """Checks conditions; the machine readings and the clock can be replaced (tests, other systems)."""

    def __init__(self, machine: MachineState | None = None, now: Callable[[ZoneInfo | None], datetime] | None = None,
                 route: Callable[[], bool] = has_route, connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
        self.machine = machine or machine_for()
        self._now = now or (lambda zone: datetime.now(zone))
        self._route = route
        self._connect_timeout = connect_timeout

    async def check(self, conditions: dict[str, object] | None, timezone: str | None = None) -> Verdict:
        if not conditions:
            return Verdict(True)
        reasons: list[str] = []
        if conditions.get("ac_power"):
            power = await asyncio.to_thread(self.machine.on_ac_power)
            if power is False:
                reasons.append("the computer is on battery power")
            elif power is None:
                reasons.append("the computer did not say whether it is on AC power")
        network = conditions.get("network")
        if network == "up":
            if not await asyncio.to_thread(self._route):
                reasons.append("the network is down")
        elif isinstance(network, str) and not await self._answers(network):
            reasons.append(f"{network} does not answer")
        idle_minutes = conditions.get("idle_minutes")
        if isinstance(idle_minutes, int):
            idle = await asyncio.to_thread(self.machine.idle_seconds)
            if idle is None:
                reasons.append("the desktop session does not report the user's idle time")
            elif idle < idle_minutes * 60:
                reasons.append(f"the user was active {idle / 60:.0f} min ago (needs {idle_minutes} min idle)")
        between = conditions.get("not_between")
        if isinstance(between, list):
            now = self._now(ZoneInfo(timezone) if timezone else None)
            if within_quiet_hours(now, between[0], between[1]):
                reasons.append(f"it is {now:%H:%M}, between {between[0]} and {between[1]}")
        return Verdict(not reasons, "; ".join(reasons))

    async def _answers(self, host_port: str) -> bool:
        match = HOST_PORT.match(host_port)
        if match is None:
            return False
        host = match["host"].strip("[]")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(match["port"])),
                                               self._connect_timeout)
        except (OSError, TimeoutError):
            return False
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
        return True
