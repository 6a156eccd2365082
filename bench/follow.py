"""How `casebook serve` follows the tree: idle CPU, edit-to-searchable time, and the old walk.

Used by perf.py (steps `idle` and `updates`); the baselines are measured in the same run:
the walk the former watcher and `index` did (pathlib.rglob + stat of every file, every 2 s)
and the JSON manifest the former index parsed whole on every run.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import measure

FORMER_INTERVAL_S = 2.0  # the former watcher's polling interval


PARKED_GIT = ".git-parked"  # where a tree's repository waits while a run measures the listed tree


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(cmd: list[str], cases_dir: Path, index_dir: Path, log: Path, watch: bool):
    """Start `casebook serve` and wait until it answers; return (process, port, seconds to ready)."""
    port = free_port()
    args = [*cmd, "--cases", str(cases_dir), "--index", str(index_dir), "serve", "--port", str(port)]
    args.append("--watch" if watch else "--no-watch")
    handle = log.open("w", encoding="utf-8")
    server = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env=measure.clean_env())
    handle.close()
    started = time.perf_counter()
    while get(port, "/api/search?q=x") != 200:
        if server.poll() is not None:
            raise RuntimeError(f"server exited {server.returncode}; see {log}")
        if time.perf_counter() - started > 300:
            raise RuntimeError("server did not answer within 300 s")
        time.sleep(0.2)
    return server, port, time.perf_counter() - started


def stop_server(server) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def get(port: int, path: str) -> int:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return 0


def total(port: int, word: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/search?q=" + quote(word))
    body = json.loads(conn.getresponse().read())
    conn.close()
    return int(body.get("total", 0))


def measure_idle(cmd: list[str], cases_dir: Path, index_dir: Path, logdir: Path, seconds: float) -> dict:
    """Serve with the watcher on and off; CPU of the idle server over `seconds`, and edit latency."""
    out: dict = {"seconds": seconds}
    for watch in (True, False):
        key = "watch" if watch else "no_watch"
        server, port, ready = start_server(cmd, cases_dir, index_dir, logdir / f"serve-{key}.log", watch)
        try:
            time.sleep(3)  # let start-up work (dictionary, first searcher) settle
            before = measure.proc_cpu_seconds(server.pid)
            time.sleep(seconds)
            used = measure.proc_cpu_seconds(server.pid) - before
            out[key] = {"ready_s": round(ready, 2), "cpu_s": round(used, 3), "core_share": round(used / seconds, 4)}
            if watch:
                out["edit_to_searchable_s"] = edit_latency(port, cases_dir)
        finally:
            stop_server(server)
    return out


def edit_latency(port: int, cases_dir: Path, repeats: int = 3) -> dict:
    """Append a new word to a case (in place, as an editor saves) and time until search finds it."""
    target = sorted((cases_dir).rglob("*.md"))[len(list(cases_dir.rglob("*.md"))) // 3]
    original = target.read_bytes()
    times = []
    try:
        for _ in range(repeats):
            word = "zq" + uuid.uuid4().hex[:10]  # one token no case holds: found only once indexed
            if total(port, word):
                raise RuntimeError(f"'{word}' is found before the edit: the figure would mean nothing")
            target.write_bytes(original + f"\n补充说明：{word}。\n".encode())
            saved = time.perf_counter()
            while total(port, word) < 1:
                if time.perf_counter() - saved > 30:
                    raise RuntimeError("an edited case was not searchable within 30 s")
                time.sleep(0.02)
            times.append(round(time.perf_counter() - saved, 3))
    finally:
        target.write_bytes(original)
    return {"runs_s": times, "max_s": max(times), "file": target.relative_to(cases_dir).as_posix()}


def former_walk(cases_dir: Path, repeats: int = 3) -> dict:
    """Time the former look at the tree (rglob + stat of every file) and its idle cost every 2 s."""
    cpu = []
    for _ in range(repeats):
        started = time.process_time()
        entries = []
        # Skipping .git, which the former walk read too (it would only make the baseline slower).
        tops = [p for p in cases_dir.iterdir() if p.name != ".git"]
        for path in (q for top in tops for q in ([top] if top.is_file() else top.rglob("*"))):
            if path.is_file() and not path.name.startswith("."):
                stat = path.stat()
                entries.append((path.as_posix(), stat.st_mtime_ns, stat.st_size))
        tuple(sorted(entries))
        cpu.append(time.process_time() - started)
    best = min(cpu)
    return {"cpu_per_look_s": round(best, 3), "idle_core_share": round(best / FORMER_INTERVAL_S, 3)}


def former_manifest(index_dir: Path) -> dict:
    """Time parsing a JSON manifest of the same entries, as the former index did on every run."""
    import sqlite3

    current = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    db = sqlite3.connect(index_dir / current / "manifest.sqlite")
    rows = db.execute("SELECT rel, id, digest, mtime_ns, size FROM files").fetchall()
    db.close()
    files = {rel: {"id": i, "path": rel, "digest": d, "stat": [m, s]} for rel, i, d, m, s in rows}
    text = json.dumps({"schema_version": 1, "files": files}, ensure_ascii=False)
    started = time.perf_counter()
    json.loads(text)
    parse = time.perf_counter() - started
    return {"entries": len(files), "json_mb": round(len(text.encode()) / 1e6, 1), "parse_s": round(parse, 3)}


def make_git(cases_dir: Path) -> dict:
    """Make the generated tree a git work tree with one commit (editors keep cases in git)."""
    if (cases_dir / PARKED_GIT).exists():
        (cases_dir / PARKED_GIT).rename(cases_dir / ".git")
    if (cases_dir / ".git").exists():
        return {"reused": True}
    env = dict(measure.clean_env(), GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid")
    env.update(GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    started = time.perf_counter()
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "Generated knowledge base"]):
        subprocess.run(["git", *args], cwd=cases_dir, env=env, check=True, capture_output=True)
    return {"reused": False, "seconds": round(time.perf_counter() - started, 1)}


def park_git(cases_dir: Path) -> bool:
    """Hide an earlier --git run's repository so that this run lists the tree; say whether one was."""
    if not (cases_dir / ".git").exists():
        return False
    (cases_dir / ".git").rename(cases_dir / PARKED_GIT)  # a hidden name: the walk skips it
    return True


def rows(summary: dict, targets: dict) -> list[tuple[str, str, str, bool | None]]:
    """Return (figure, value, target, passed) rows for the following figures, baselines beside."""
    out: list[tuple[str, str, str, bool | None]] = []
    n = summary["n"]
    idle = summary.get("idle")
    if idle:
        share = idle["watch"]["core_share"]
        out.append(
            (
                f"idle serve, watcher on, {idle['seconds']:.0f} s",
                f"{share:.2%} of a core ({idle['watch']['cpu_s']:.2f} s CPU)",
                f"<= {targets['idle_core_share']:.0%}",
                share <= targets["idle_core_share"],
            )
        )
        out.append(("  same, --no-watch", f"{idle['no_watch']['core_share']:.2%} of a core", "", None))
        edit = idle["edit_to_searchable_s"]
        out.append(
            (
                "  edit -> searchable via HTTP",
                f"max {edit['max_s']:.2f} s of {len(edit['runs_s'])} ({', '.join(map(str, edit['runs_s']))})",
                f"<= {targets['edit_searchable_s']:.0f} s",
                edit["max_s"] <= targets["edit_searchable_s"],
            )
        )
    former = (summary.get("updates") or {}).get("former") or (idle or {}).get("former")
    if former:
        walk = former["walk"]
        out.append(
            (
                "baseline: former 2 s poll (rglob+stat)",
                f"{walk['cpu_per_look_s']:.3f} s CPU per look = {walk['idle_core_share']:.1%} of a core idle",
                "",
                None,
            )
        )
        if "manifest" in former:
            m = former["manifest"]
            out.append(
                (
                    "baseline: former JSON manifest parse",
                    f"{m['parse_s']:.3f} s ({m['entries']} entries, {m['json_mb']} MB)",
                    "",
                    None,
                )
            )
    build, updates = summary.get("build"), summary.get("updates")
    if updates:
        noop = updates["no_change"]["median_s"]
        one = updates["one_file"]["median_s"]
        if n >= 100000:
            out.append(
                (
                    "  no change (100k target)",
                    f"{noop:.2f} s",
                    f"<= {targets['noop_100k_s']} s",
                    noop <= targets["noop_100k_s"],
                )
            )
        if build:
            share = one / build["wall_s"]
            out.append(
                (
                    "  1 file / full build, same run",
                    f"1/{1 / share:.0f}",
                    f"<= 1/{1 / targets['one_over_build']:.0f}",
                    share <= targets["one_over_build"],
                )
            )
    http, watched = summary.get("http"), summary.get("http_watch")
    if http and watched:
        base = watched.get("rps_no_watch", http["rps"])  # alternate rounds, or the single run before
        ratio = watched["rps"] / base
        out.append(
            (
                "HTTP with the watcher on",
                f"{watched['rps']:.1f} against {base:.1f} req/s = {ratio:.1%} of --no-watch",
                f">= {1 - targets['watch_http_loss']:.0%}",
                ratio >= 1 - targets["watch_http_loss"],
            )
        )
        if "cpu_ms_per_request" in watched:
            on, off = watched["cpu_ms_per_request"], watched["cpu_ms_per_request_no_watch"]
            out.append(("  server CPU per request, on / off", f"{on:.2f} / {off:.2f} ms = {on / off:.1%}", "", None))
    return out
