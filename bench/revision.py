"""A git revision of tcx built in a temporary worktree, and its bench.gateway server run
from that tree, so two builds can be measured in one bench run (`--compare REF`): on a
shared machine only figures taken side by side compare.

The server is the revision's own `bench.gateway.serve` (its exchange, its settings, its
websocket), started as `python -c` in the tree so that nothing of this checkout is
imported; it says it is ready on stdout. Every revision since the bench existed takes the
same arguments, and serves the FIX websocket at ws://127.0.0.1:PORT/fix.
"""

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.gateway import SETUP_TIMEOUT_S, ServerProcess, _free_port

CHECKOUT = Path(__file__).resolve().parent.parent
_LAUNCH = """
import sys
from pathlib import Path
from bench.gateway import serve

class Ready:
    def set(self):
        print("ready", flush=True)

serve(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Ready(), None)
"""


@contextmanager
def revision_tree(ref: str) -> Iterator[Path]:
    """`ref` checked out (detached) in a temporary worktree and built; removed afterwards."""
    tree = Path(tempfile.mkdtemp(prefix="tcx-bench-base-"))
    _git("worktree", "add", "--detach", str(tree), ref)
    try:
        build(tree)
        yield tree
    finally:
        _git("worktree", "remove", "--force", str(tree))


def build(tree: Path) -> None:
    """Compiles a tree's optional extensions in place where it has any (a tree without a
    setup.py is pure Python: nothing to build). A failed build fails the comparison."""
    if (tree / "setup.py").exists():
        subprocess.run(
            [sys.executable, "setup.py", "build_ext", "--inplace"],
            cwd=tree,
            env={**os.environ, "TCX_REQUIRE_EXT": "1"},
            check=True,
            capture_output=True,
        )


@contextmanager
def tree_server(tree: Path, sessions: int) -> Iterator[ServerProcess]:
    """`tree`'s bench server on a free port with a temporary data directory."""
    with tempfile.TemporaryDirectory(prefix="tcx-bench-gateway-") as data_dir:
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, data_dir, str(port), str(sessions)],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            if not _ready(process):
                raise RuntimeError(f"the exchange of {tree} did not start (see its output above)")
            print(f"exchange process {process.pid} ({tree}) on port {port}", file=sys.stderr)
            yield ServerProcess(f"ws://127.0.0.1:{port}/fix", process.pid, Path(data_dir))
        finally:
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _ready(process: subprocess.Popen) -> bool:
    """Whether the server said it is ready within the setup timeout; its output is read
    (and echoed to stderr) for as long as it runs, so a full pipe never stalls it."""
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:
            if line.strip() == "ready":
                ready.set()
            else:
                sys.stderr.write(line)

    threading.Thread(target=read, daemon=True).start()
    return ready.wait(SETUP_TIMEOUT_S)


def _git(*arguments: str) -> None:
    subprocess.run(["git", "-C", str(CHECKOUT), *arguments], check=True, capture_output=True)
