"""torch_peer_common.py — what every PyTorch peer of a benchmark reports besides its timing."""
import ctypes


def blas_core():
    """The core OpenBLAS chose (OPENBLAS_CORETYPE, or its own detection), if torch uses it."""
    for line in open("/proc/self/maps"):
        if "libopenblas" in line:
            lib = ctypes.CDLL(line.split()[-1])
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
    return "not OpenBLAS"
