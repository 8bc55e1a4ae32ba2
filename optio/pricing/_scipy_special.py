"""scipy.special's erfcx and erfinv, callable from numba-compiled code.

Why: numba compiles ``math`` but not ``scipy.special``. scipy exports its C implementations
through ``scipy.special.cython_special``'s C API; each is bound here by symbol name (not by
pointer), so that numba can cache the compiled callers on disk. The double specialisations take
a trailing dispatch flag, passed as 0.
"""

from __future__ import annotations

import llvmlite.binding as llvm
import numba
from numba.extending import get_cython_function_address

_DOUBLE_FUNCTION = numba.types.float64(numba.types.float64, numba.types.intc)


def _bind(capi_name: str):
    symbol = f"optio_scipy_{capi_name.removeprefix('__pyx_fuse_0').removeprefix('__pyx_fuse_1')}"
    llvm.add_symbol(symbol, get_cython_function_address("scipy.special.cython_special", capi_name))
    return numba.types.ExternalFunction(symbol, _DOUBLE_FUNCTION)


_erfcx = _bind("__pyx_fuse_1erfcx")
_erfinv = _bind("__pyx_fuse_0erfinv")


@numba.njit(cache=True)
def erfcx(u: float) -> float:
    """Scaled complementary error function ``e^{u²}·erfc(u)`` (Faddeeva package, a few ulp)."""
    return _erfcx(u, 0)


@numba.njit(cache=True)
def erfinv(y: float) -> float:
    """Inverse error function on ``(−1, 1)``."""
    return _erfinv(y, 0)
