"""Output guarantees: determinism, all-or-nothing swaps, parallel = serial, safe paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import build as build_module
from generator.cli import main
from generator.output import MARKER, safe_path

from conftest import NOW, incident
from test_leaks import LEAKY_SITE


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def many_incidents(count: int) -> dict[str, str]:
    files = {}
    for n in range(count):
        day = 1 + n % 27
        files[f"content/incidents/i{n:03d}/a.md"] = incident(
            f"2026-{1 + n % 11:02d}-{day:02d}T08:00:00Z", "investigating",
            f"Looking at {n}.\n\n::: strategic\nDetail {n}.\n:::\n",
            title=f"Incident {n}", impact="minor", components=["api"])
        files[f"content/incidents/i{n:03d}/b.md"] = incident(
            f"2026-{1 + n % 11:02d}-{day:02d}T09:00:00Z", "resolved", f"Fixed {n}.")
    return files


def test_same_inputs_and_now_give_identical_bytes(make_site, build, tmp_path):
    site = make_site(LEAKY_SITE)
    first = tree_bytes(build(site, tmp_path / "one"))
    second = tree_bytes(build(site, tmp_path / "two"))
    assert first == second
    assert len(first) > 20


def test_parallel_build_matches_serial_build(make_site, build, tmp_path, monkeypatch):
    site = make_site(many_incidents(60))
    monkeypatch.setattr(build_module, "PARALLEL_THRESHOLD", 10)
    parallel = tree_bytes(build(site, tmp_path / "parallel", NOW, "--jobs", "2"))
    serial = tree_bytes(build(site, tmp_path / "serial", NOW, "--jobs", "1"))
    assert parallel == serial
    assert sum(1 for uri in parallel if uri.startswith("public/incidents/")) == 60


def test_failed_build_leaves_previous_output_untouched(make_site, build, tmp_path, capsys):
    site = make_site(LEAKY_SITE)
    out = build(site)
    before = tree_bytes(out)
    (site / "content/incidents/mixed/03.md").write_text("---\nstatus: nope\n---\n")
    code = main(["build", "--site", str(site), "--out", str(out), "--now", NOW])
    assert code == 1
    assert "03.md" in capsys.readouterr().err
    assert tree_bytes(out) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out")] == []


def test_build_crashing_while_writing_leaves_previous_output(make_site, build, tmp_path, monkeypatch):
    site = make_site(LEAKY_SITE)
    out = build(site)
    before = tree_bytes(out)

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "render_files", explode)
    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 130
    assert tree_bytes(out) == before
    assert not (out.parent / ".out.staging").exists()


def test_rebuild_replaces_stale_files(make_site, build):
    site = make_site(LEAKY_SITE)
    out = build(site)
    assert (out / "public/incidents/old/index.html").exists()
    for path in (site / "content/incidents/old").iterdir():
        path.unlink()
    (site / "content/incidents/old").rmdir()
    build(site, out)
    assert not (out / "public/incidents/old").exists()
    assert (out / MARKER).is_file()


def test_refuses_non_empty_out_not_made_by_statusgen(make_site, tmp_path, capsys):
    site = make_site()
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    assert main(["build", "--site", str(site), "--out", str(precious), "--now", NOW]) == 1
    err = capsys.readouterr().err
    assert f"{precious}:1: output folder is not empty and was not made by statusgen" in err
    assert [p.name for p in precious.iterdir()] == ["thesis.txt"]


def test_empty_existing_out_is_fine(make_site, build, tmp_path):
    (tmp_path / "empty").mkdir()
    assert (build(make_site(), tmp_path / "empty") / "public" / "index.html").is_file()


@pytest.mark.parametrize("uri", ["../x", "/etc/passwd", "a/../../b", "", "a//b", "./a"])
def test_safe_path_refuses_escapes(tmp_path, uri):
    with pytest.raises(ValueError):
        safe_path(tmp_path, uri)
