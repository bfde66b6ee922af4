#!/usr/bin/env python3
"""Runs the points of `nacre sweep --engine dask` on a Dask distributed cluster.

Started by `nacre sweep` (src/cli/sweep_dask.cpp), which finds this file beside its own
binary (the build copies it there) or at $NACRE_DASK_DRIVER. Python standard library and
`distributed` (Debian's python3-distributed) only. Not meant to be run by hand.

Request: one JSON object on stdin, after which stdin stays open; its end means `nacre sweep`
is gone, and the driver exits (finished points are already in the sweep folder's cache).
  {"scheduler": "tcp://host:8786", "connect_timeout": 10,
   "nacre": "/abs/path/nacre",             # the binary on the workers
   "version": "nacre 0.1.0 (build ...)",   # what `nacre --version` must print on each worker
   "cwd": "/abs/dir",                      # the sweep's working directory, on the workers too
   "results": "/abs/sweep/points",         # where each point's results folder goes
   "points": [{"index": 0, "key": "nacre-point-<hex>", "args": ["backtest", ...]}]}

Events: JSON lines on stdout.
  {"event": "connected", "workers": N}
  {"event": "done", "index": i, "key": k, "exit_code": n, "stats": "<stats.json>" or null,
   "stderr": "<the run's stderr tail>", "error": "<why the task itself failed>" or null,
   "host": "worker host", "folder": "results folder on that host"}
  {"event": "finished"}
  {"event": "fatal", "message": "..."}    then exit 3

Each point is one task whose key is the point's key (config bytes, overrides and build hashed
by nacre), so the scheduler shares a point between sweeps that submit it at the same time,
and reruns the task of a worker that is lost. Tasks are idempotent: each attempt writes its
results folder to a unique path, and only a finished run is renamed to results/<key>.
"""

import json
import os
import signal
import sys
import threading


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def fatal(message):
    emit({"event": "fatal", "message": message})
    sys.stdout.flush()
    os._exit(3)


def watch_parent():
    # stdin ends when `nacre sweep` exits or is killed: stop too (the scheduler then releases
    # this client's tasks).
    while sys.stdin.read(65536):
        pass
    os._exit(4)


def nacre_version(nacre):
    """Runs on each worker: (host, what its nacre binary prints for --version, or why it
    could not be run)."""
    import socket
    import subprocess

    host = socket.gethostname()
    try:
        r = subprocess.run([nacre, "--version"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    except OSError as e:
        return host, None, "cannot run {}: {}".format(nacre, e.strerror)
    except subprocess.SubprocessError as e:
        return host, None, "cannot run {}: {}".format(nacre, e)
    return host, r.stdout.decode("utf-8", "replace").strip(), None


NOT_FOUND = ("the nacre binary must be at the same path on every worker (or pass "
             "--worker-nacre)")


def worker_version(nacre):
    """(`nacre --version` on this worker, or None and why not), asked once per binary (path,
    size, mtime): a worker that joined after the driver's check is checked by its first
    task."""
    import shutil

    from distributed import get_worker

    try:
        st = os.stat(shutil.which(nacre) or nacre)
    except OSError as e:
        return None, "cannot run {}: {}".format(nacre, e.strerror)
    ident = (nacre, st.st_size, st.st_mtime_ns)
    try:
        worker = get_worker()
        cache = getattr(worker, "nacre_versions", None)
        if cache is None:
            cache = {}
            setattr(worker, "nacre_versions", cache)
    except ValueError:  # not on a worker
        cache = {}
    if ident not in cache:
        cache[ident] = nacre_version(nacre)[1:]
    return cache[ident]


def run_point(nacre, version, args, cwd, results, key):
    """One grid point: `nacre backtest ... --out <unique folder>` on a worker.

    Pure in effect: the same key always runs the same backtest; a rerun after a lost worker
    writes a new folder and the first finished attempt becomes results/<key>."""
    import shutil
    import socket
    import subprocess
    import uuid

    host = socket.gethostname()
    attempt = os.path.join(results, ".{}.{}".format(key, uuid.uuid4().hex))
    final = os.path.join(results, key)
    row = {"exit_code": -1, "stats": None, "stderr": "", "error": None, "host": host,
           "folder": attempt}
    found, why = worker_version(nacre)
    if why is not None:
        row["error"] = "worker {}: {}: {}".format(host, why, NOT_FOUND)
        return row
    if found != version:
        row["error"] = ("worker {}: {} prints '{}', this sweep is '{}': every worker must run "
                        "the same build".format(host, nacre, found, version))
        return row
    try:
        os.makedirs(results, exist_ok=True)
    except OSError as e:
        row["error"] = "worker {}: cannot create {}: {}".format(host, results, e.strerror)
        return row
    out_path = attempt + ".stdout.txt"
    err_path = attempt + ".stderr.txt"
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.run([nacre] + list(args) + ["--out", attempt], cwd=cwd,
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    except OSError as e:
        row["error"] = "worker {}: cannot run {} in {}: {}".format(host, nacre, cwd, e.strerror)
        return row
    # As a shell reports it (and as the local engine does): 128 + signal when killed.
    row["exit_code"] = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    with open(err_path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 8192))
        row["stderr"] = f.read().decode("utf-8", "replace")
    stats = os.path.join(attempt, "stats.json")
    if proc.returncode != 0 or not os.path.exists(stats):
        return row
    with open(stats, "rb") as f:
        row["stats"] = f.read().decode("utf-8")
    # The first finished attempt wins; a later one (a rerun whose first attempt did finish)
    # removes its own copy.
    try:
        os.rename(attempt, final)
    except OSError:
        if not os.path.isdir(final):
            raise
        shutil.rmtree(attempt, ignore_errors=True)
        for p in (out_path, err_path):
            try:
                os.remove(p)
            except OSError:
                pass
    else:
        os.replace(out_path, final + ".stdout.txt")
        os.replace(err_path, final + ".stderr.txt")
    row["folder"] = final
    return row


def main():
    # Ctrl-C reaches nacre and this driver: stop at once (no graceful client shutdown).
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(143))
    request = json.loads(sys.stdin.readline())
    threading.Thread(target=watch_parent, daemon=True).start()
    scheduler = request["scheduler"]
    try:
        from distributed import Client, as_completed
    except ImportError as e:
        fatal("{} cannot import distributed ({}): install Debian's python3-distributed "
              "(apt-get install python3-distributed) or pass --python".format(sys.executable, e))
    try:
        client = Client(scheduler, timeout=request["connect_timeout"],
                        set_as_default=False)
    except Exception as e:  # OSError on timeout, ValueError on a bad address
        fatal("no Dask scheduler reachable ({})".format(e))
    nacre = request["nacre"]
    # Every worker connected now must run the same build: rows are cached under keys that
    # name this build.
    try:
        versions = client.run(nacre_version, nacre, on_error="return")
    except Exception as e:
        fatal("cannot reach the scheduler's workers ({})".format(e))
    for worker, answer in sorted(versions.items()):
        if isinstance(answer, BaseException):
            fatal("worker {}: {}".format(worker, answer))
        host, version, why = answer
        if why is not None:
            fatal("worker {} ({}): {}: {}".format(worker, host, why, NOT_FOUND))
        if version != request["version"]:
            fatal("worker {} ({}): {} prints '{}', this sweep is '{}': every worker must run "
                  "the same build".format(worker, host, nacre, version, request["version"]))
    emit({"event": "connected", "workers": len(versions)})

    points = {p["key"]: p for p in request["points"]}
    futures = [client.submit(run_point, nacre, request["version"], p["args"], request["cwd"],
                             request["results"], p["key"], key=p["key"], retries=0)
               for p in request["points"]]
    for future in as_completed(futures, loop=client.loop):
        p = points[future.key]
        event = {"event": "done", "index": p["index"], "key": p["key"]}
        if future.status == "finished":
            event.update(future.result())
        elif future.status == "error":
            e = future.exception()
            event.update({"exit_code": -1, "stats": None, "stderr": "", "host": "",
                          "folder": "",
                          "error": "the task failed on the cluster: {}: {}".format(
                              type(e).__name__, e)})
        else:  # cancelled: the scheduler was lost
            fatal("lost the Dask scheduler (grid point {}, task {}: {})".format(
                p["index"] + 1, p["key"], future.status))
        emit(event)
    emit({"event": "finished"})
    client.close(timeout=5)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        os._exit(4)
    except Exception as e:  # a bug here or in distributed: the traceback goes to the log
        import traceback
        traceback.print_exc()
        fatal("the Dask driver failed: {}: {} (traceback in points/driver.log)".format(
            type(e).__name__, e))
