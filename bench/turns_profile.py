"""Under load: where the servers' CPU goes (py-spy flame graphs), and the soak (a steady
arrival rate for minutes: errors, resident memory, p95 per minute)."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.turns_load import Outcome, client, new_sender, open_loop, send_turn
from bench.turns_stacks import BIN_PY_SPY, System, resident_kib
from bench.turns_stats import growth, per_window_p95, percentile



def profile_under_load(system: System, out: Path, seconds: int, concurrency: int = 20) -> dict[str, Path]:
    """py-spy records each server while `concurrency` senders keep it busy: a flame graph (SVG)
    for people and the same samples as collapsed stacks (`.txt`) for `hottest_frames`. A
    server py-spy may not attach to is reported and skipped."""
    recorders = {}
    for name, pid in system.servers.items():
        stem = out / f"profile-{system.name.replace(' ', '-')}-{name}"
        for kind, suffix in (("flamegraph", ".svg"), ("raw", ".txt")):
            recorders[(name, kind)] = (stem.with_suffix(suffix), subprocess.Popen(
                [str(BIN_PY_SPY), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "100",
                 "--subprocesses", "--nonblocking", "--format", kind, "--output", str(stem.with_suffix(suffix))],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))

    async def keep_busy() -> int:
        turns = 0
        async with client(concurrency) as http:
            async def sender() -> None:
                nonlocal turns
                while any(p.poll() is None for _path, p in recorders.values()):
                    await send_turn(http, system.url, system.body_for(new_sender("profile")))
                    turns += 1
            await asyncio.gather(*(sender() for _ in range(concurrency)))
        return turns

    turns = asyncio.run(keep_busy())
    written = {}
    for (name, kind), (path, process) in recorders.items():
        _out, err = process.communicate()
        if process.returncode == 0 and path.exists():
            written[(name, kind)] = path
        else:
            print(f"  py-spy could not profile {name} (pid {system.servers[name]}): "
                  f"{err.decode(errors='replace').strip()[-300:]}", file=sys.stderr, flush=True)
    print(f"  profiled {', '.join(sorted({n for n, _k in written})) or 'nothing'} over {turns} turns "
          f"at {concurrency} senders", flush=True)
    return {name: path for (name, kind), path in written.items() if kind == "raw"} | {
        f"{name}-svg": path for (name, kind), path in written.items() if kind == "flamegraph"}


def hottest_frames(collapsed: Path, top: int = 15, own_code: tuple[str, ...] = (),
                   ignore: tuple[str, ...] = ()) -> dict[str, list]:
    """From collapsed stacks: the frames with most samples anywhere under them (each counted
    once per stack) and the frames most often on top (their own time), as shares of all
    samples, restricted to frames whose text contains one of `own_code` if given."""
    under: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples, frames = int(count), stack.split(";")
        total += samples
        for frame in set(frames):
            under[frame] += samples
        own[frames[-1]] += samples

    def chosen(counter: Counter) -> list[tuple[str, float]]:
        picked = [(f, n) for f, n in counter.most_common()
                  if (not own_code or any(k in f for k in own_code)) and not any(k in f for k in ignore)]
        return [(frame, samples / total) for frame, samples in picked[:top]]

    return {"inclusive": chosen(under), "own": chosen(own), "samples": total} if total else {}


def soak(system: System, *, rate: float, seconds: float) -> dict:
    """New conversations at `rate` a second for `seconds`: errors, each server's resident
    memory before and after, and the p95 of each minute."""
    before = {name: resident_kib(pid) for name, pid in system.servers.items()}
    memory_track: list[dict] = []
    last_print = [0.0]

    def tick(now: float, outcome: Outcome) -> None:
        if now - last_print[0] >= 15:
            last_print[0] = now
            recent = [lat for at, lat in outcome.samples if at >= now - 15]
            memory_track.append({"at": round(now), **{n: resident_kib(p) for n, p in system.servers.items()}})
            print(f"  soak {now:5.0f}/{seconds:.0f} s: {len(outcome.latencies)} turns, {len(outcome.errors)} errors, "
                  f"p95 last 15 s {percentile(recent, 0.95) * 1e3:.0f} ms, RSS "
                  + ", ".join(f"{n} {memory_track[-1][n] / 1024:.0f} MiB" for n in system.servers), flush=True)

    started = time.perf_counter()
    outcome = asyncio.run(open_loop(system.url, system.body_for, rate=rate, seconds=seconds, tag="soak",
                                    on_tick=tick))
    wall = time.perf_counter() - started
    after = {name: resident_kib(pid) for name, pid in system.servers.items()}
    return {"rate_target": rate, "seconds": seconds, "turns": len(outcome.latencies),
            "achieved_rate": len(outcome.latencies) / wall, "errors": len(outcome.errors),
            "error_examples": sorted(set(outcome.errors))[:5],
            "p50_ms": percentile(outcome.latencies, 0.5) * 1e3, "p95_ms": percentile(outcome.latencies, 0.95) * 1e3,
            "p95_per_minute_ms": per_window_p95(outcome.samples, 60),
            "rss_kib_before": before, "rss_kib_after": after,
            "rss_growth": {name: growth(before[name], after[name]) for name in before},
            "rss_track": memory_track}
