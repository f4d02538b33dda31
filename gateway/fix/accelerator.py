"""Which implementation of the FIX codec's hot path is in use: the Cython accelerator where
setup.py built it (gateway/fix/_codec_accel.pyx), else the pure-Python reference in
gateway/fix/codec.py. Both give the same results; `tcx --version` says which runs."""

try:
    from gateway.fix import _codec_accel as compiled
except ImportError:  # not built: no Cython or no C compiler where tcx was installed
    compiled = None


def in_use() -> str:
    if compiled is not None:
        return "FIX codec: Cython accelerator"
    return "FIX codec: pure Python (the Cython accelerator is not built)"
