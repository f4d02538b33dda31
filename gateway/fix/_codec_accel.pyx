# cython: language_level=3, boundscheck=False, wraparound=False
"""The Cython accelerator of gateway/fix/codec.py's hot path: splitting a plain frame into
its fields, and the CheckSum's byte sum. Each function returns exactly what its pure-Python
reference in codec.py returns (tests/gateway/test_fix_codec_accel.py compares them on
hypothesis-generated frames); codec.py uses these when the extension is built."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeASCII


def plain_fields(bytes frame, data_length):
    """codec._plain_fields: the fields and their byte offsets of an ASCII frame (ending in
    SOH) with no data field; None for any other frame."""
    cdef const char* text = PyBytes_AS_STRING(frame)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(frame)
    cdef Py_ssize_t end = size - 1  # the final SOH is not part of the last field
    cdef Py_ssize_t index, start = 0, equals
    cdef unsigned char byte
    cdef long tag
    cdef int digits
    for index in range(size):
        if <unsigned char>text[index] >= 128:
            return None
    fields = []
    starts = []
    while True:
        tag = 0
        digits = 0
        index = start
        while index < end:
            byte = <unsigned char>text[index]
            if byte == 61:  # '='
                break
            if byte < 48 or byte > 57:  # not a digit (SOH included): no tag=value here
                return None
            digits += 1
            if digits > 9:
                return None
            tag = tag * 10 + (byte - 48)
            index += 1
        if index >= end or digits == 0:
            return None
        equals = index
        index += 1
        while index < end and text[index] != 1:
            index += 1
        number = tag
        if number in data_length:
            return None
        fields.append((number, PyUnicode_DecodeASCII(text + equals + 1, index - equals - 1, NULL)))
        starts.append(start)
        if index >= end:
            return fields, starts
        start = index + 1


def checksum(bytes data):
    """codec.checksum: the sum of the bytes, modulo 256."""
    cdef const unsigned char* text = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t index, size = PyBytes_GET_SIZE(data)
    cdef unsigned long total = 0
    for index in range(size):
        total += text[index]
    return total % 256
