"""The `articlebot` console script: the quick exit keeps output and exit statuses; the index stays usable."""

from __future__ import annotations

import json

from conftest import run_cli


def test_a_read_command_prints_everything_and_exits_zero_then_the_index_opens_again(tmp_path):
    data = tmp_path / "data"
    first = run_cli(["articles", "--json"], data)  # first use: indexes the default article, then exits quickly
    assert first.returncode == 0, first.stderr
    listed = json.loads(first.stdout)
    assert len(listed) == 1 and listed[0]["chunks"] > 0
    found = run_cli(["search", "서울관 면적은?", "--json"], data)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout.splitlines()[-1])
    again = run_cli(["articles", "--json"], data)
    assert again.returncode == 0 and json.loads(again.stdout) == listed


def test_errors_keep_their_exit_status_and_message(tmp_path):
    data = tmp_path / "data"
    usage = run_cli(["search"], data)
    assert usage.returncode == 2 and "give a QUERY" in usage.stderr
    unknown = run_cli(["ask", "--article", "nope", "서울관 면적은?"], data)
    assert unknown.returncode == 1 and "no article with id 'nope'" in unknown.stderr
    helped = run_cli(["search", "--help"], data)
    assert helped.returncode == 0 and "QUERY" in helped.stdout
