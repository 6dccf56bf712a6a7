"""Remote-run figures against a real OpenSSH sshd on loopback (needs root and openssh-server).

Prints:
- the first run on a server (TCP connect, key exchange, login, then the run) and the median of
  further runs on the reused connection, for a trivial BASH script;
- the wall time of one run on 1 server vs on 10 servers (10 aliases of the same loopback sshd,
  each with its own pooled connection), both on warm connections and cold (first run).
Target: 10 servers ≤ 2 × one server.

It also prints the CPU time per run of this process and of the whole machine (from /proc/stat). Here
both ends share the machine's cores, and a run on one server is a chain of work on either end with
little idle time, so its wall time is close to its machine CPU; ten runs need ten times that CPU on
the same cores. On real servers only this process's share is paid ten times over on one machine.

The runs log in as the fixture's unprivileged test user with the fixture's key: its login shell
starts as Debian's does, whereas root's ~/.bashrc on a development machine may run `pyenv init`
(about a hundred processes) for every SSH session, which would measure that instead of Cronium.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keyring  # noqa: E402
from keyring.backends.fail import Keyring  # noqa: E402

from cronium_desktop.engine.executors.ssh import SshExecutor  # noqa: E402
from cronium_desktop.engine.servers import ServerInfo, ServerService  # noqa: E402
from tests.fixtures.servers import RecordingSink, make_context, make_job  # noqa: E402
from tests.fixtures.sshd import SshServer, sshd_unavailable, start_sshd, stop_sshd  # noqa: E402

REUSED_RUNS = 30
FAN_OUT_ROUNDS = 7
SCRIPT = "echo hello"


async def timed_run(executor: SshExecutor, servers: list[ServerInfo]) -> float:
    started = time.perf_counter()
    result = await executor.run(make_job("BASH", SCRIPT, servers), RecordingSink())
    elapsed = time.perf_counter() - started
    if result.status != "SUCCESS":
        raise SystemExit(f"bench run failed: {result.error}")
    return elapsed


async def add_aliases(service: ServerService, sshd: SshServer, count: int, prefix: str) -> list[ServerInfo]:
    servers = []
    for index in range(count):
        servers.append(await service.add(f"{prefix}{index}", host=sshd.host, port=sshd.port, username=sshd.password_user,
                                         auth_method="KEY", key_path=str(sshd.key_path)))
    if servers:
        await service.check(servers[0].id, accept_host_key=True)  # one known_hosts entry covers the aliases
    return servers


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_cpu_seconds() -> float:
    """CPU time every process on this machine has used (both ends of the loopback runs); 0 off Linux."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


async def main(root: Path) -> None:
    sshd, process = start_sshd(root / "sshd")
    (root / "data").mkdir()
    service = ServerService(make_context(root / "data"))
    executor = SshExecutor(service)
    try:
        [single] = await add_aliases(service, sshd, 1, "single")
        service.pool.forget(single.id)  # the first run below connects
        first = await timed_run(executor, [single])
        reused = [await timed_run(executor, [single]) for _ in range(REUSED_RUNS)]
        reused_median = statistics.median(reused)
        print(f"first run (connect + login + run):   {ms(first)}")
        print(f"reused connection, median of {REUSED_RUNS}:   {ms(reused_median)}")
        print(f"connection set-up saved per run:     {ms(first - reused_median)}")

        cold_ten = await add_aliases(service, sshd, 10, "cold")
        service.pool.forget(cold_ten[0].id)
        cold = await timed_run(executor, cold_ten)
        ten = await add_aliases(service, sshd, 10, "alias")
        await timed_run(executor, ten)  # warm every alias's connection
        one_times, ten_times, one_cpu, ten_cpu, one_machine, ten_machine = [], [], 0.0, 0.0, 0.0, 0.0
        for _ in range(FAN_OUT_ROUNDS):
            before, machine_before = cpu_seconds(), machine_cpu_seconds()
            one_times.append(await timed_run(executor, [single]))
            middle, machine_middle = cpu_seconds(), machine_cpu_seconds()
            ten_times.append(await timed_run(executor, ten))
            one_cpu, ten_cpu = one_cpu + middle - before, ten_cpu + cpu_seconds() - middle
            one_machine += machine_middle - machine_before
            ten_machine += machine_cpu_seconds() - machine_middle
        one, many = statistics.median(one_times), statistics.median(ten_times)
        print(f"1 server, warm, median of {FAN_OUT_ROUNDS}:        {ms(one)}")
        print(f"10 servers, warm, median of {FAN_OUT_ROUNDS}:      {ms(many)}   ({many / one:.2f} × one server; target ≤ 2 ×)")
        print(f"10 servers, cold (10 connects):      {ms(cold)}   ({cold / first:.2f} × one cold server)")
        print(f"this process's CPU per run: 1 server {ms(one_cpu / FAN_OUT_ROUNDS)}, "
              f"10 servers {ms(ten_cpu / FAN_OUT_ROUNDS)} (paramiko holds the GIL for that long)")
        cores = os.cpu_count() or 1
        print(f"whole machine's CPU per run: 1 server {ms(one_machine / FAN_OUT_ROUNDS)}, "
              f"10 servers {ms(ten_machine / FAN_OUT_ROUNDS)} (sshd and the shells too; "
              f"{cores} cores: 10 servers take ≥ {ms(ten_machine / FAN_OUT_ROUNDS / cores).strip()})")
    finally:
        await service.stop()
        service._ctx.db.close()
        stop_sshd(sshd, process)


if __name__ == "__main__":
    reason = sshd_unavailable()
    if reason:
        raise SystemExit(f"bench/ssh.py cannot run here: {reason}.")
    keyring.set_keyring(Keyring())  # the bench's secrets use a passphrase, not the desktop keychain
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)  # sshd reads authorized_keys as the test user
        asyncio.run(main(Path(folder)))
