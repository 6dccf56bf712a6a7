"""How a crontab's lines are read: names, env, shells, % input, aliases, bad lines (crontab(5))."""

from __future__ import annotations

import subprocess

from cronium_desktop.engine.imports.cron import parse_crontab, split_percent


def test_percent_starts_standard_input_later_ones_are_newlines_and_backslash_percent_is_a_percent() -> None:
    assert split_percent(r"date +\%F%one%two \% three") == ("date +%F", "one\ntwo % three")
    assert split_percent("echo hi") == ("echo hi", None)


def test_a_job_whose_command_reads_stdin_gets_exactly_those_lines_when_its_script_runs() -> None:
    job = parse_crontab("0 5 * * * cat -n%first%second\n").jobs[0]
    done = subprocess.run(["bash", "-c", job.content], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["     1\tfirst", "     2\tsecond"]


def test_the_comment_right_above_a_job_names_it_else_its_commands_first_words() -> None:
    jobs = parse_crontab("# Rotate logs\n0 * * * * logrotate /etc/lr.conf\n\n# 0 1 * * * old-job\n"
                         "5 * * * * /opt/bin/sync --fast --quiet now\n").jobs
    assert [job.name for job in jobs] == ["Rotate logs", "sync --fast --quiet"]  # a commented-out job is no name


def test_environment_lines_apply_to_the_jobs_below_them_only() -> None:
    jobs = parse_crontab("0 1 * * * a\nMODE='fast'\nCRON_TZ=America/New_York\n0 2 * * * b\n").jobs
    assert (jobs[0].env, jobs[0].timezone) == ({}, None)
    assert (jobs[1].env, jobs[1].timezone) == ({"MODE": "fast"}, "America/New_York")


def test_a_shell_other_than_sh_or_bash_runs_the_command() -> None:
    zsh, bash = parse_crontab("SHELL=/usr/bin/zsh\n0 1 * * * print -P hello\nSHELL=/bin/sh\n0 2 * * * echo hi\n").jobs
    assert zsh.content == "exec /usr/bin/zsh -c 'print -P hello'\n"
    assert bash.content == "echo hi\n"  # sh and bash jobs run as BASH events as written


def test_bad_lines_are_named_with_why_and_reboot_is_not_carried_over() -> None:
    parsed = parse_crontab("@reboot start\n@weekly ok\n0 25 * * * late\nnot a job\nCRON_TZ=Mars/Base\n1-2/2 * * * * x\n")
    assert [job.schedule for job in parsed.jobs] == [{"cron": "@weekly"}, {"cron": "1-2/2 * * * *"}]
    reasons = {u.source: (u.invalid, u.reason) for u in parsed.unconverted}
    assert reasons["crontab line 1"][0] is False and "login trigger" in reasons["crontab line 1"][1]
    assert reasons["crontab line 3"][0] and "25" in reasons["crontab line 3"][1]
    assert reasons["crontab line 4"][0] and "neither a job" in reasons["crontab line 4"][1]
    assert reasons["crontab line 5"][0] and "Mars/Base" in reasons["crontab line 5"][1]
