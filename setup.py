"""The optional Cython accelerator (gateway/fix/_codec_accel.pyx): built where Cython and a
C compiler are at hand, skipped with a warning where not (tcx then runs its pure-Python
codec). TCX_REQUIRE_EXT=1 makes a failed build fatal, for CI and benches.

cythonize() drops Extension(optional=True), so the build_ext below catches the failure
itself. Everything else about the package is in pyproject.toml.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError

BUILD_FAILURES = (CCompilerError, ExecError, PlatformError, OSError)

REQUIRED = os.environ.get("TCX_REQUIRE_EXT") == "1"
SOURCE = "gateway/fix/_codec_accel.pyx"


def _extensions() -> list[Extension]:
    try:
        from Cython.Build import cythonize
    except ImportError:
        if REQUIRED:
            raise
        print(f"warning: Cython is not installed; {SOURCE} is not built", file=sys.stderr)
        return []
    return cythonize([Extension("gateway.fix._codec_accel", [SOURCE])], quiet=True)


class OptionalBuildExt(build_ext):
    """A compiler missing or failing leaves the pure-Python codec, unless REQUIRED."""

    def run(self) -> None:
        try:
            super().run()
        except BUILD_FAILURES as error:
            self._skipped(error)

    def build_extension(self, extension: Extension) -> None:
        try:
            super().build_extension(extension)
        except BUILD_FAILURES as error:
            self._skipped(error)

    @staticmethod
    def _skipped(error: Exception) -> None:
        if REQUIRED:
            raise error
        print(f"warning: the codec accelerator was not built ({error})", file=sys.stderr)


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
