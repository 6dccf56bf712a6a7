"""Reading the figures a wrapper shell records at exit, as dash and bash print them."""

from __future__ import annotations

from cronium_desktop.engine.executors.remote_metrics import record_lines
from cronium_desktop.engine.executors.ssh import wrapper_script
from cronium_desktop.engine.metrics import RunMetrics, add_up, combine, from_wrapper_record

DASH = "0m0.001000s 0m0.002000s\n1m2.500000s 0m0.250000s\n"
BASH = "0m0.003s 0m0.000s\n0m1.997s 0m0.012s\n"
PROC_IO = "rchar: 10\nwchar: 20\nsyscr: 1\nsyscw: 1\nread_bytes: 4096\nwrite_bytes: 52428800\ncancelled_write_bytes: 0\n"


def test_times_of_dash_and_bash_become_user_and_system_seconds_of_the_tree() -> None:
    dash = from_wrapper_record(DASH + "exit 0\n")
    assert dash is not None and (dash.cpu_user_s, dash.cpu_system_s) == (62.501, 0.252)
    bash = from_wrapper_record(BASH + PROC_IO + "exit 0\n")
    assert bash is not None and (bash.cpu_user_s, bash.write_bytes, bash.read_bytes) == (2.0, 52428800, 4096)


def test_an_exit_status_past_128_names_the_signal_and_a_missing_io_file_leaves_bytes_unknown() -> None:
    record = from_wrapper_record(BASH + "exit 137\n")
    assert record is not None and record.signal == "SIGKILL" and record.write_bytes is None


def test_views_of_one_run_keep_the_larger_figure_and_servers_add_up() -> None:
    merged = combine(RunMetrics(cpu_user_s=1.0, max_rss_bytes=10), RunMetrics(cpu_user_s=0.5, max_rss_bytes=30), None)
    assert (merged.cpu_user_s, merged.max_rss_bytes) == (1.0, 30)
    total = add_up([RunMetrics(cpu_user_s=1.0, max_rss_bytes=10), None, RunMetrics(cpu_user_s=2.0, max_rss_bytes=5)])
    assert total is not None and (total.cpu_user_s, total.max_rss_bytes) == (3.0, 10)


def test_the_remote_wrapper_runs_the_script_as_a_child_and_records_it_before_its_status() -> None:
    wrapper = wrapper_script("PYTHON")
    assert "exec python3" not in wrapper
    record = wrapper.index(record_lines('"$code"'))
    assert "times" in record_lines("0") and wrapper.index('python3 "$1"/script.py') < record < wrapper.index(".status")
