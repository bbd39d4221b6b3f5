"""Output guarantees: determinism, all-or-nothing publishing, parallel = serial, safe paths."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator import build as build_module
from generator import output as output_module
from generator import parallel as parallel_module
from generator.cli import main
from generator.errors import SiteError
from generator.output import MARKER, safe_path

from conftest import NOW, incident, tree_bytes
from sites import LEAKY_SITE


def many_incidents(count: int) -> dict[str, str]:
    files = {}
    for n in range(count):
        day = 1 + n % 27
        files[f"content/incidents/i{n:03d}/a.md"] = incident(
            f"2026-{1 + n % 11:02d}-{day:02d}T08:00:00Z",
            "investigating",
            f"Looking at {n}.\n\n::: strategic\nDetail {n}.\n:::\n",
            title=f"Incident {n}",
            impact="minor",
            components=["api"],
        )
        files[f"content/incidents/i{n:03d}/b.md"] = incident(
            f"2026-{1 + n % 11:02d}-{day:02d}T09:00:00Z", "resolved", f"Fixed {n}."
        )
    return files


@pytest.mark.slow
def test_same_inputs_and_now_give_identical_bytes(make_site, tmp_path):
    """Two separate processes with different hash seeds: set and dict order cannot leak into bytes."""
    site = make_site(LEAKY_SITE)
    trees = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "build",
                "--site",
                str(site),
                "--out",
                str(out),
                "--now",
                NOW,
                "--no-cache",
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        trees.append(tree_bytes(out))
    assert trees[0] == trees[1]
    assert len(trees[0]) > 20


def test_parallel_build_matches_serial_build(make_site, build, tmp_path, monkeypatch):
    site = make_site(many_incidents(60))
    monkeypatch.setattr(parallel_module, "PARALLEL_THRESHOLD", 10)
    # Forked workers inherit this wrapper: each task notes the process that rendered it.
    pids = tmp_path / "pids"
    render_files = build_module.render_files

    def noting_pid(*args, **kwargs):
        with pids.open("a") as file:
            file.write(f"{os.getpid()}\n")
        time.sleep(0.05)  # long enough that one worker cannot take every task
        return render_files(*args, **kwargs)

    monkeypatch.setattr(build_module, "render_files", noting_pid)
    parallel = tree_bytes(build(site, tmp_path / "parallel", NOW, "--jobs", "2"))
    workers = set(pids.read_text().split())
    pids.unlink()
    serial = tree_bytes(build(site, tmp_path / "serial", NOW, "--jobs", "1"))
    assert set(pids.read_text().split()) == {str(os.getpid())}, "--jobs 1 renders in this process"
    assert len(workers) == 2 and str(os.getpid()) not in workers, "two worker processes rendered"
    assert parallel == serial
    assert sum(1 for uri in parallel if uri.startswith("public/incidents/")) == 60


def test_workers_are_forked_from_the_main_thread_only(monkeypatch):
    """serve rebuilds in its own thread while others run: a fork there could copy a lock another
    thread holds, and Ctrl-C would not reach the thread waiting on the workers. It works alone."""
    monkeypatch.setattr(parallel_module, "PARALLEL_THRESHOLD", 10)
    assert set(parallel_module.run(_process_id, list(range(40)), 2)) - {os.getpid()}, "workers here"
    found: list[set[int]] = []
    thread = threading.Thread(
        target=lambda: found.append(set(parallel_module.run(_process_id, list(range(40)), 2)))
    )
    thread.start()
    thread.join(timeout=60)
    assert found == [{os.getpid()}]


def _process_id(task: int) -> int:
    return os.getpid()


def test_renewed_workers_build_what_one_process_builds(make_site, build, tmp_path, monkeypatch):
    """Render workers are replaced by fresh forks after a few tasks (memory): same output. Each
    is forked by the build's own thread, never by a pool's thread while others run (a lock held
    by another thread at the fork would stay held in the child forever)."""
    site = make_site(many_incidents(200))
    monkeypatch.setattr(parallel_module, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(build_module, "FRESH_AFTER", 1)
    pids = tmp_path / "pids"
    render_files = build_module.render_files

    def noting_pid(*args, **kwargs):
        with pids.open("a") as file:
            file.write(f"{os.getpid()} {threading.current_thread().name}\n")
        return render_files(*args, **kwargs)

    monkeypatch.setattr(build_module, "render_files", noting_pid)
    parallel = tree_bytes(build(site, tmp_path / "parallel", NOW, "--jobs", "2"))
    noted = [line.split(" ", 1) for line in pids.read_text().splitlines()]
    rendered_by = [pid for pid, _ in noted]
    assert len(set(rendered_by)) == len(rendered_by) > 2, "each task in a fresh worker"
    # A forked child runs on as the thread that forked it (its name tells which).
    assert {thread for _, thread in noted} == {threading.main_thread().name}, "forked by the main thread"
    assert parallel == tree_bytes(build(site, tmp_path / "serial", NOW, "--jobs", "1"))


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


# ---- publishing: kill -9 and signals at every step ---------------------------------------------

# A real build in a child process, paused at one step of writing or publishing (by wrapping the
# os call that step makes) so the test can kill it exactly there. Production code is unchanged.
_PAUSED_BUILD = """
import os, shutil, sys, time
from generator import output
from generator.cli import main
from generator.errors import SiteError
where, pause = sys.argv[1], float(sys.argv[2])
real_replace, real_rmtree, real_open, real_unlink = os.replace, shutil.rmtree, open, os.unlink
moved_in = 0

def stop():
    print("paused", flush=True)
    time.sleep(pause)

def replace(src, dst):
    global moved_in
    real_replace(src, dst)
    if where == "journal-written" and str(dst).endswith(".journal"):
        stop()
    if ".staging/" in str(src):
        moved_in += 1
        if where == "half-moved-in" and moved_in == 3:
            stop()

def unlink(path, *args, **kwargs):
    real_unlink(path, *args, **kwargs)
    if where == "committed" and str(path).endswith(".journal"):
        stop()

def rmtree(path, *args, **kwargs):
    real_rmtree(path, *args, **kwargs)
    if where == "removing-undo" and ".undo" in str(path):
        stop()

def writing(path, *args, **kwargs):
    handle = real_open(path, *args, **kwargs)
    if where == "writing" and str(path).endswith("badge.svg"):
        stop()
    return handle

os.replace, os.unlink, shutil.rmtree = replace, unlink, rmtree
output.open = writing
sys.exit(main(["build", *sys.argv[3:]]))
"""


def paused_build(site: Path, out: Path, where: str, pause: float = 120.0) -> subprocess.Popen[str]:
    """Start a build that stops at ``where``; returns once it is there."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _PAUSED_BUILD,
            where,
            str(pause),
            "--site",
            str(site),
            "--out",
            str(out),
            "--now",
            NOW,
            "--jobs",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert line == "paused\n", (line, process.stderr.read())
    return process


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


@pytest.mark.slow
@pytest.mark.parametrize(
    "where, survivor",
    [
        ("writing", "previous"),
        ("journal-written", "previous"),
        ("half-moved-in", "previous"),
        ("half-moved-in, staging lost", "previous"),  # rolled back without the staging folder too
        ("committed", "new"),
        ("removing-undo", "new"),
    ],
)
@pytest.mark.parametrize("next_build", ["fails", "succeeds"])
def test_kill_9_anywhere_in_a_build_leaves_a_whole_output(
    make_site, build, tmp_path, where, survivor, next_build
):
    """kill -9 cannot be caught: whatever step it hits, the output folder the next build finds (and
    leaves, if it fails) is a whole tree, the previous one unless the new one was already in."""
    site = make_site(LEAKY_SITE)
    out = build(site)
    previous = tree_bytes(out)
    (site / "content/incidents/mixed/04.md").write_text(
        incident("2026-11-27T11:00:00Z", "resolved", "All good now.")
    )
    new = tree_bytes(build(site, tmp_path / "reference"))
    assert new != previous

    process = paused_build(site, out, where.split(",")[0])
    if where.startswith("half-moved-in"):
        assert tree_bytes(out) not in (previous, new), "the test must kill the build mid-patch"
    process.kill()
    process.wait(timeout=10)
    process.stdout.close()
    process.stderr.close()
    if where.endswith("staging lost"):
        shutil.rmtree(out.parent / f".{out.name}.staging")

    if next_build == "fails":
        broken = site / "content/incidents/mixed/05.md"
        broken.write_text("---\nstatus: nope\n---\n")
        assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 1
        assert tree_bytes(out) == (previous if survivor == "previous" else new)
        broken.unlink()
    build(site, out)
    assert tree_bytes(out) == new
    assert leftovers(out) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "where, signum",
    [("half-moved-in", signal.SIGTERM), ("journal-written", signal.SIGINT), ("half-moved-in", signal.SIGINT)],
)
def test_a_signal_in_the_middle_of_publishing_waits_for_the_commit(make_site, build, where, signum):
    """A cancelled CI job (SIGTERM) or Ctrl-C once the journal is written: the patch commits first."""
    site = make_site(LEAKY_SITE)
    out = build(site)
    (site / "content/incidents/mixed/04.md").write_text(
        incident("2026-11-27T11:00:00Z", "resolved", "All good now.")
    )
    process = paused_build(site, out, where, pause=1.0)
    assert leftovers(out) == [f".{out.name}.journal", f".{out.name}.staging", f".{out.name}.undo"]
    process.send_signal(signum)
    assert process.wait(timeout=20) == 130
    err = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    assert err.splitlines()[-1] == (
        "statusgen: interrupted just after the new output was published; it is whole."
    )
    assert "All good now." in (out / "public/incidents/mixed/index.html").read_text()
    build(site, out)  # what the interrupted clean-up left is removed
    assert leftovers(out) == []


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_before_the_swap_leaves_the_previous_output(make_site, build, signum):
    site = make_site(LEAKY_SITE)
    out = build(site)
    previous = tree_bytes(out)
    (site / "content/incidents/mixed/04.md").write_text(
        incident("2026-11-27T11:00:00Z", "resolved", "All good now.")
    )
    process = paused_build(site, out, "writing")
    process.send_signal(signum)
    assert process.wait(timeout=20) == 130
    err = process.stderr.read().splitlines()
    assert err[-1] == "statusgen: interrupted; the previous output is untouched."
    process.stdout.close()
    process.stderr.close()
    assert tree_bytes(out) == previous
    assert leftovers(out) == []


_INTERRUPTED_WORKERS = """
import os, sys, time
from generator import build, parallel
from generator.cli import main
parallel.PARALLEL_THRESHOLD, build.FRESH_AFTER = 10, 1  # one task per worker, a new pool per two
pids, step = sys.argv[1], sys.argv[2]
# A worker stops (as if its work took long) once this many workers have begun that step: for
# rendering, a third pool's (each pool does two tasks); for loading, the first pool's.
enough = {"render_files": 5, "load_folder": 1}[step]
real = getattr(build, step)

def noting(*args, **kwargs):
    with open(pids, "a") as file:
        file.write(f"{os.getpid()}\\n")
    with open(pids) as file:
        if len(set(file.read().split()) - {str(os.getppid())}) >= enough:
            os.write(1, b"paused\\n")  # one write: two workers may get here at once
            time.sleep(60)
    return real(*args, **kwargs)

setattr(build, step, noting)
sys.exit(main(sys.argv[3:]))
"""


def session_processes(session: int) -> list[int]:
    """Live processes of a session (a killed build's workers would stay in it)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("step", ["load_folder", "render_files"])
def test_ctrl_c_while_workers_work_stops_the_build_and_keeps_the_output(make_site, build, tmp_path, step):
    """Ctrl-C in a terminal reaches the whole process group, workers too, while they load folders
    or in any batch of render workers: the build stops at once with the usual message, no
    traceback, the previous output kept and no process left behind."""
    site = make_site(many_incidents(120))
    out = build(site)
    previous = tree_bytes(out)
    (site / "content/incidents/i007/c.md").write_text(incident("2026-11-27T11:00:00Z", "resolved", "Back."))
    process = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED_WORKERS, str(tmp_path / "pids"), step, "build"]
        + ["--site", str(site), "--out", str(out), "--now", NOW, "--jobs", "2", "--no-cache"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = process.stdout.readline()
        assert line == "paused\n", (line, process.stderr.read())
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=20) == 130
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    err = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    assert "Traceback" not in err, err
    assert err.splitlines()[-1] == "statusgen: interrupted; the previous output is untouched."
    assert str(process.pid) not in (tmp_path / "pids").read_text().split(), "workers did the step"
    assert tree_bytes(out) == previous
    assert leftovers(out) == []
    deadline = time.monotonic() + 5
    while session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session_processes(process.pid) == []


_KILLED_WORKER = """
import os, signal, sys
from generator import build, parallel
from generator.cli import main
parallel.PARALLEL_THRESHOLD = 10
step = sys.argv[1]
real = getattr(build, step)

def dying(*args, **kwargs):
    if os.getpid() != int(os.environ["BUILD_PID"]):
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
    return real(*args, **kwargs)

os.environ["BUILD_PID"] = str(os.getpid())
setattr(build, step, dying)
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("step", ["load_folder", "render_files"])
def test_a_worker_killed_mid_task_fails_the_build_instead_of_hanging(make_site, build, tmp_path, step):
    """A pool replaces a dead worker and waits forever for its tasks: the build stops with one
    clear line instead, and the previous output stays."""
    site = make_site(many_incidents(60))
    out = build(site)
    previous = tree_bytes(out)
    (site / "content/incidents/i007/c.md").write_text(incident("2026-11-27T11:00:00Z", "resolved", "Back."))
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_WORKER, step, "build", "--site", str(site), "--out", str(out)]
        + ["--now", NOW, "--jobs", "2", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == (
        "--jobs: a worker process was killed by SIGKILL (out of memory?); run again, or with --jobs 1"
    )
    assert tree_bytes(out) == previous
    assert leftovers(out) == []


@pytest.mark.slow
def test_random_kill_9_during_real_builds_never_loses_the_output(make_site, build, tmp_path):
    """Unpatched builds killed at random moments: the next build, even a failing one, finds
    the previous output or the new one, whole."""
    site = make_site(many_incidents(15))
    out = build(site)
    command = [
        sys.executable,
        "-m",
        "generator",
        "build",
        "--site",
        str(site),
        "--out",
        str(out),
        "--now",
        NOW,
        "--jobs",
        "1",
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    duration = time.perf_counter() - started
    previous = tree_bytes(out)
    broken = site / "content/incidents/zz/a.md"
    rng = random.Random(12)
    for run in range(6):
        (site / "content/incidents/i000/c.md").write_text(
            incident("2026-01-01T10:00:00Z", "resolved", f"Run {run}.")
        )
        new = tree_bytes(build(site, tmp_path / f"reference{run}"))
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.1) * duration)
        process.kill()
        process.wait()
        broken.parent.mkdir(exist_ok=True)
        broken.write_text("---\nstatus: nope\n---\n")
        assert subprocess.run(command, capture_output=True).returncode == 1
        broken.unlink()
        broken.parent.rmdir()
        found = tree_bytes(out)
        assert found in (previous, new), f"run {run}"
        previous = found


# ---- --out: paths refused, and write errors as one clear line ----------------------------------


@pytest.mark.parametrize("out", ["~", "~/status", "~root/status", "~x"])
def test_a_literal_tilde_out_is_refused(make_site, capsys, tmp_path, monkeypatch, out):
    site = make_site(LEAKY_SITE)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--site", str(site), "--out", out, "--now", NOW]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"--out: {out!r} starts with a literal ~ (no shell expanded it); write the folder's "
        "full path, e.g. $HOME/...",
        "statusgen: 1 problem; nothing was written.",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


@pytest.mark.parametrize(
    "out",
    [
        ".",
        "..",
        "content",
        "content/incidents",
        "content/incidents/x",
        "content/new/deep",
        "themes",
        "themes/default/x",
        ".statusgen-cache",
        ".git/out",
        "content/../content/x",
        "via-link/x",
        "via-link",
    ],
)
def test_out_inside_the_sites_own_folders_is_refused(make_site, capsys, out):
    site = make_site(LEAKY_SITE)
    (site / "themes/default").mkdir(parents=True)
    (site / ".git").mkdir()
    (site / "via-link").symlink_to("content")
    before = sorted(str(p.relative_to(site.parent)) for p in site.parent.rglob("*"))
    assert main(["build", "--site", str(site), "--out", str(site / out), "--now", NOW]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "the output folder must not be" in err[0], err
    assert sorted(str(p.relative_to(site.parent)) for p in site.parent.rglob("*")) == before
    # The build still works into an ordinary folder of the site, and the check did not break it.
    assert main(["build", "--site", str(site), "--out", str(site / "public-out"), "--now", NOW]) == 0


def test_out_elsewhere_inside_the_site_is_fine(make_site, build):
    site = make_site(LEAKY_SITE)
    assert (build(site, site / "_site") / "public/index.html").is_file()
    assert (build(site, site / "build/www") / "public/index.html").is_file()
    assert (build(site, site / "contents") / "public/index.html").is_file()  # content/ is not a prefix


def failing_theme(site: Path) -> None:
    """A theme template that fails only while rendering, i.e. after the output folder is locked."""
    template = site / "themes/default/templates/incident.html"
    template.parent.mkdir(parents=True)
    template.write_text(
        '{% extends "default/incident.html" %}{% block title %}{{ "%d"|format("x") }}{% endblock %}'
    )


def test_a_build_failing_while_rendering_leaves_no_parent_folders(make_site, capsys, tmp_path):
    site = make_site(LEAKY_SITE)
    failing_theme(site)
    out = tmp_path / "new" / "deeper" / "out"
    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == "statusgen: 1 problem; nothing was written."
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("name", ["x" * 256, "x" * 250, "deep/" * 1000 + "out", "new/" + "y" * 300])
def test_a_name_too_long_for_the_file_system_is_one_clear_line(make_site, build, capsys, tmp_path, name):
    site = make_site(LEAKY_SITE)
    out = tmp_path / name
    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].endswith("File name too long"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """A real small file system (tmpfs; needs root): mount(size) returns its folder."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    mounted: list[Path] = []

    def mount(size: str, where: str = "disk") -> Path:
        point = tmp_path / where
        point.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=755", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if result.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=True)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_is_one_clear_line_and_keeps_the_previous_output(
    make_site, build, capsys, disk, monkeypatch, jobs
):
    site = make_site(LEAKY_SITE)
    monkeypatch.setattr(parallel_module, "PARALLEL_THRESHOLD", 1)  # jobs 2: workers hit the full disk
    mount = disk("700k")
    out = build(site, mount / "out", NOW, "--no-cache")  # about 500 KB: a second copy does not fit
    previous = tree_bytes(out)
    (site / "content/incidents/mixed/04.md").write_text(
        incident("2026-11-27T11:00:00Z", "resolved", "All good now.")
    )
    code = main(["build", "--site", str(site), "--out", str(out), "--now", NOW, "--no-cache", "--jobs", jobs])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err == [
        f"{out}: cannot write the output: No space left on device",
        "statusgen: 1 problem; nothing was written.",
    ]
    assert tree_bytes(out) == previous
    assert sorted(p.name for p in mount.iterdir()) == ["out"], "nothing half-written may be left"


def test_a_read_only_output_folder_is_one_clear_line(make_site, build, capsys, disk):
    site = make_site(LEAKY_SITE)
    mount = disk("4m")
    out = build(site, mount / "out", NOW, "--no-cache")
    previous = tree_bytes(out)
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    for target in (out, mount / "new" / "out"):
        assert main(["build", "--site", str(site), "--out", str(target), "--now", NOW, "--no-cache"]) == 1
        err = capsys.readouterr().err.splitlines()
        assert err == [
            f"{target}: cannot write the output: Read-only file system",
            "statusgen: 1 problem; nothing was written.",
        ]
    assert tree_bytes(out) == previous
    assert sorted(p.name for p in mount.iterdir()) == ["out"]


@pytest.mark.slow
def test_an_output_folder_the_user_may_not_write_is_one_clear_line(make_site, build, tmp_path):
    """Real EACCES: root ignores permissions, so the build runs without that power (the
    capabilities to override them dropped with setpriv)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run the build without permission overrides")
    site = make_site(LEAKY_SITE)
    published = tmp_path / "published"
    out = build(site, published / "out", NOW, "--no-cache")
    previous = tree_bytes(out)
    published.chmod(0o555)
    try:
        for target in (out, published / "new" / "out"):
            result = subprocess.run(
                [
                    "setpriv",
                    "--bounding-set=-dac_override,-dac_read_search",
                    "--",
                    sys.executable,
                    "-m",
                    "generator",
                    "build",
                    "--site",
                    str(site),
                    "--out",
                    str(target),
                    "--now",
                    NOW,
                    "--no-cache",
                ],
                capture_output=True,
                text=True,
            )
            assert result.returncode == 1, result.stderr
            assert result.stderr.splitlines() == [
                f"{target}: cannot write the output: Permission denied",
                "statusgen: 1 problem; nothing was written.",
            ]
    finally:
        published.chmod(0o755)
    assert tree_bytes(out) == previous
    assert sorted(p.name for p in published.iterdir()) == ["out"]


def _mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_unchanged_files_keep_their_mtime_and_the_report_counts_changes(make_site, capsys, tmp_path):
    """rsync, S3 sync and CDN uploads compare size and mtime: a rebuild must not touch what it
    did not change, and must say how much it did."""
    files = many_incidents(3)
    site = make_site(files)
    out = tmp_path / "out"
    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 0
    capsys.readouterr()
    old = 946684800_000_000_000  # 2000-01-01: whatever the clock's resolution, a rewrite shows
    for path in out.rglob("*"):
        os.utime(path, ns=(old, old), follow_symlinks=False)
    before = tree_bytes(out)

    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 0
    assert "0 files new or changed, 0 removed" in capsys.readouterr().out
    assert tree_bytes(out) == before
    assert set(_mtimes(out).values()) == {old}

    edited = site / "content/incidents/i001/b.md"
    edited.write_text(edited.read_text().replace("Fixed 1.", "Fixed 1, for good."))
    shutil.rmtree(site / "content/incidents/i002")
    cold = tmp_path / "cold"
    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 0
    report = capsys.readouterr().out
    assert main(["build", "--site", str(site), "--out", str(cold), "--now", NOW]) == 0
    capsys.readouterr()
    after = tree_bytes(out)
    assert after == tree_bytes(cold)  # an incremental write is still the whole, right output
    mtimes = _mtimes(out)
    changed = {uri for uri, data in after.items() if before.get(uri) != data}
    removed = set(before) - set(after)
    assert changed and removed and any(uri.endswith("i001/index.html") for uri in changed)
    assert {uri for uri, mtime in mtimes.items() if mtime != old} == changed
    assert f"{len(changed)} files new or changed, {len(removed)} removed" in report
    assert f"{len(after) - len(changed) - 1} unchanged" in report  # the marker is not a site file


def _inodes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_ino for p in root.rglob("*") if p.is_file()}


def test_a_rebuild_leaves_files_that_did_not_change_where_they_are(make_site, build):
    """Publishing patches the output: a file whose bytes do not change is not rewritten, linked
    or moved (same inode), so nothing that watches the folder sees it change."""
    site = make_site(many_incidents(8))
    out = build(site)
    before = _inodes(out)
    build(site, out)
    assert _inodes(out) == before
    (site / "content/incidents/i003/b.md").write_text(incident("2026-04-04T09:00:00Z", "resolved", "Done."))
    build(site, out)
    after = _inodes(out)
    moved = {uri for uri in after if after[uri] != before.get(uri)}
    assert "public/incidents/i003/index.html" in moved
    assert "public/incidents/i004/index.html" not in moved
    assert len(moved) < len(after) // 4, sorted(moved)
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out.")] == []


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_publishing_that_fails_halfway_puts_every_file_back(tmp_path, monkeypatch):
    """A file may take a folder's place and the reverse; an error after some moves (a full
    disk, a file another program holds) rolls back to the previous output exactly."""
    out, staging = tmp_path / "out", tmp_path / ".out.staging"
    previous = {MARKER: b"m", "a": b"file a", "b/c": b"c", "d/e": b"old e", "gone/x": b"x", "same": b"s"}
    new = {
        MARKER: b"m",
        "a/inside": b"a is a folder now",
        "b": b"b is a file now",
        "d/e": b"new e",
        "f": b"f",
    }
    for root, files in ((out, previous), (staging, new)):
        for uri, data in files.items():
            (root / uri).parent.mkdir(parents=True, exist_ok=True)
            (root / uri).write_bytes(data)
    real_replace, moves = os.replace, []

    def failing_replace(source, target):
        moves.append(target)
        if len(moves) == 6:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(SiteError) as error:
        output_module.publish(staging, out, {"same"}, output_module.survey(out)[0])
    assert "No space left on device" in str(error.value.problems[0].message)
    assert _tree(out) == previous
    assert not (tmp_path / ".out.journal").exists() and not (tmp_path / ".out.undo").exists()

    monkeypatch.setattr(os, "replace", real_replace)
    shutil.rmtree(staging)  # a failed build's staging folder goes; the next build writes its own
    for uri, data in new.items():
        (staging / uri).parent.mkdir(parents=True, exist_ok=True)
        (staging / uri).write_bytes(data)
    output_module.publish(staging, out, {"same"}, output_module.survey(out)[0])
    assert _tree(out) == {**new, "same": b"s"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_statusgens_working_names_beside_the_output_are_never_taken_from_the_user(make_site, build, capsys):
    site = make_site(many_incidents(2))
    out = build(site)
    undo, journal = out.parent / ".out.undo", out.parent / ".out.journal"
    undo.mkdir()
    (undo / "notes.txt").write_text("mine")
    journal.write_text("my journal")
    (site / "content/incidents/i001/b.md").write_text(incident("2026-02-02T09:00:00Z", "resolved", "Done."))
    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 1
    err = capsys.readouterr().err
    assert f"{undo}:1: this folder is in the way of statusgen's own working folder" in err
    assert f"{journal}:1: this file is in the way of statusgen's own journal" in err
    assert (undo / "notes.txt").read_text() == "mine" and journal.read_text() == "my journal"


def test_a_symbolic_link_inside_the_output_is_dropped_never_followed(make_site, build, tmp_path):
    """A link put in the output (by hand, or by a tampered CI cache) is neither read through
    (its target's bytes are not taken as a page's) nor written through; the build replaces it."""
    site = make_site(many_incidents(3))
    out = build(site)
    outside = tmp_path / "outside"
    shutil.copytree(out / "public/incidents/i001", outside)
    target = outside / "index.html"
    before = (target.stat().st_ino, target.read_bytes())
    shutil.rmtree(out / "public/incidents/i001")
    (out / "public/incidents/i001").symlink_to(outside)
    (out / "strategic/index.html").unlink()
    (out / "strategic/index.html").symlink_to(target)
    build(site, out)
    assert (target.stat().st_ino, target.read_bytes()) == before
    assert (
        not (out / "public/incidents/i001").is_symlink() and not (out / "strategic/index.html").is_symlink()
    )
    assert tree_bytes(out) == tree_bytes(build(site, tmp_path / "cold"))


def test_a_journal_that_is_not_statusgens_is_refused_with_one_line(make_site, build, capsys):
    site = make_site(many_incidents(2))
    out = build(site)
    journal = out.parent / ".out.journal"
    journal.write_text('{"statusgen": "output journal", "put": ["../../x"], "replace": [], "drop": []}')
    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 1
    err = capsys.readouterr().err
    assert (
        f"{journal}:1: this file is in the way of statusgen's own journal" in err and "Traceback" not in err
    )
