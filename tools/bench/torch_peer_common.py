"""torch_peer_common.py — what every PyTorch peer of a benchmark reports besides its timing."""
import ctypes


def _openblas():
    """The OpenBLAS library torch's BLAS calls go to (the one mapped into this process), or None."""
    for line in open("/proc/self/maps"):
        if "libopenblas" in line:
            return ctypes.CDLL(line.split()[-1])
    return None


def _ask(function):
    lib = _openblas()
    if lib is None:
        return "not OpenBLAS"
    try:
        call = getattr(lib, function)
    except AttributeError:
        return "unknown"
    call.restype = ctypes.c_char_p
    return call().decode()


def blas_core():
    """The core OpenBLAS chose (OPENBLAS_CORETYPE, or its own detection), if torch uses it."""
    return _ask("openblas_get_corename")


def blas_config():
    """OpenBLAS's build configuration (version, DYNAMIC_ARCH, threading), if torch uses it."""
    return _ask("openblas_get_config")
