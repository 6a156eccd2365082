"""Measurement helpers for bench/perf.py: timed child processes, CPU and memory sampling,
percentiles, an HTTP load client and a description of the machine."""

from __future__ import annotations

import http.client
import math
import os
import platform
import re
import resource
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

TIME_BIN = "/usr/bin/time" if Path("/usr/bin/time").is_file() else None  # GNU time: -v gives max RSS
PACKAGES = ("whoosh3", "rjieba", "jieba", "opencc", "flask", "waitress", "pyyaml", "markdown", "nh3")


def percentile(values: list[float], p: float) -> float:
    """Return the nearest-rank p-th percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_summary(seconds: list[float]) -> dict:
    """Return count, mean and p50/p95/p99/max in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else 0.0,
        **{f"p{p}_ms": round(percentile(ms, p), 2) for p in (50, 95, 99)},
        "max_ms": round(max(ms), 2) if ms else 0.0,
    }


def dir_size(path: Path) -> int:
    """Return the bytes of all files under a folder."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def clean_env() -> dict:
    """Return the environment for child processes: without the tree and index settings (the
    command line names them); other CASEBOOK_* variables pass through for experiments."""
    return {k: v for k, v in os.environ.items() if k not in ("CASEBOOK_CASES", "CASEBOOK_INDEX")}


def _proc_stat() -> list[tuple[int, int]]:
    """Return (busy, total) jiffies of each core."""
    out = []
    with open("/proc/stat", encoding="ascii") as handle:
        for line in handle:
            if re.match(r"cpu\d", line):
                values = [int(v) for v in line.split()[1:9]]
                idle = values[3] + values[4]  # idle + iowait
                out.append((sum(values) - idle, sum(values)))
    return out


class CpuSampler:
    """Samples the busy share of every core from /proc/stat (the whole machine, not one process)."""

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self.samples: list[list[float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "CpuSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        before = _proc_stat()
        while not self._stop.wait(self.interval):
            after = _proc_stat()
            self.samples.append([(b1 - b0) / max(t1 - t0, 1) for (b0, t0), (b1, t1) in zip(before, after)])
            before = after

    def summary(self) -> dict:
        """Return the mean busy share per core and how often every core was busy (>= 80 %)."""
        if not self.samples:
            return {"samples": 0}
        cores = len(self.samples[0])
        return {
            "samples": len(self.samples),
            "interval_s": self.interval,
            "mean_busy_per_core": [round(sum(s[i] for s in self.samples) / len(self.samples), 2) for i in range(cores)],
            "all_cores_busy_share": round(sum(min(s) >= 0.8 for s in self.samples) / len(self.samples), 2),
            "one_core_busy_share": round(sum(max(s) >= 0.8 > min(s) for s in self.samples) / len(self.samples), 2),
        }


def run_timed(cmd: list[str], sample_cpu: bool = False, cwd: Path | None = None) -> dict:
    """Run a command to completion; return wall time, CPU time, peak RSS, output (and CPU samples)."""
    timefile = None
    full_cmd = list(cmd)
    if TIME_BIN:
        handle, timefile = tempfile.mkstemp(prefix="casebook-time-")
        os.close(handle)
        full_cmd = [TIME_BIN, "-v", "-o", timefile, *cmd]
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = CpuSampler() if sample_cpu else None
    if sampler:
        sampler.__enter__()
    started = time.perf_counter()
    try:
        proc = subprocess.run(full_cmd, capture_output=True, text=True, env=clean_env(), cwd=cwd)
    finally:
        wall = time.perf_counter() - started
        if sampler:
            sampler.__exit__()
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    result = {
        "wall_s": round(wall, 3),
        "stdout": proc.stdout.strip(),
        "user_s": round(usage_after.ru_utime - usage_before.ru_utime, 3),
        "sys_s": round(usage_after.ru_stime - usage_before.ru_stime, 3),
        # Without /usr/bin/time this is the largest child so far, so measure the big one first.
        "max_rss_mb": round(usage_after.ru_maxrss / 1024, 1),
        "rss_source": "getrusage(RUSAGE_CHILDREN)",
    }
    if timefile:
        text = Path(timefile).read_text(encoding="utf-8", errors="replace")
        os.unlink(timefile)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        if rss:
            result["max_rss_mb"] = round(int(rss.group(1)) / 1024, 1)
            result["rss_source"] = "/usr/bin/time -v"
    result["cpu_per_wall"] = round((result["user_s"] + result["sys_s"]) / max(wall, 1e-9), 2)
    if sampler:
        result["machine_cpu"] = sampler.summary()
    return result


def proc_memory(pid: int) -> dict[str, float]:
    """Return VmRSS, VmHWM (peak), RssAnon and RssFile of a process in MB."""
    out = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def proc_cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU seconds so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


@dataclass
class LoadResult:
    """What a load run saw from the client side."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    rss_peak_mb: float = 0.0
    hwm_mb: float = 0.0
    end_memory: dict = field(default_factory=dict)
    server_cpu_s: float = 0.0


def http_load(port: int, paths: list[str], clients: int, seconds: float, server_pid: int) -> LoadResult:
    """Send GETs from `clients` keep-alive threads for `seconds`; sample the server's RSS meanwhile."""
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    done = threading.Event()

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        index = offset
        latencies: list[float] = []
        while time.perf_counter() < deadline:
            path = paths[index % len(paths)]
            index += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                problem = f"HTTP {response.status} for {path}"
            except (OSError, http.client.HTTPException) as exc:
                ok, problem = False, f"{type(exc).__name__}: {exc} for {path}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                with lock:
                    result.errors += 1
                    if len(result.error_examples) < 5:
                        result.error_examples.append(problem)
        conn.close()
        with lock:
            result.latencies.extend(latencies)

    def sample_rss() -> None:
        while not done.wait(0.25):
            result.rss_peak_mb = max(result.rss_peak_mb, proc_memory(server_pid).get("VmRSS", 0.0))

    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    started = time.perf_counter()
    server_cpu = proc_cpu_seconds(server_pid)
    threads = [threading.Thread(target=client, args=(i * len(paths) // clients,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    result.server_cpu_s = proc_cpu_seconds(server_pid) - server_cpu
    done.set()
    sampler.join()
    memory = proc_memory(server_pid)
    result.rss_peak_mb = max(result.rss_peak_mb, memory.get("VmRSS", 0.0))
    result.hwm_mb = memory.get("VmHWM", 0.0)
    result.end_memory = {k: round(v, 1) for k, v in memory.items()}
    return result


def machine() -> dict:
    """Describe the machine and the software versions the figures were measured with."""
    model = ""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    mem_kb = 0
    try:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    except (OSError, AttributeError):
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "casebook": _git_state(),
        "casebook_env": {k: v for k, v in os.environ.items() if k.startswith("CASEBOOK_")},
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "loadavg_at_start": os.getloadavg(),
    }


def _git_state() -> dict:
    """Return the commit measured and which files under casebook/ differ from it."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = [line[3:] for line in git("status", "--porcelain", "--", "casebook").splitlines()]
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "subject": git("log", "-1", "--format=%s"),
        "uncommitted": changed,
    }
