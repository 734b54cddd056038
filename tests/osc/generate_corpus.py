#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/{packet,slip,length}/.

Built independently of osc/ (plain struct packing) so that the corpus also checks the codec
against a second reading of the OSC 1.0/1.1 specifications. Files named ok-* must parse (or
deframe) cleanly; bad-* must yield an error. corpus_test.cpp asserts exactly that, and the
daemon's end-to-end test sends the bad-* packets as malformed datagrams, so every packet file
stays below the UDP payload limit. Rerun after editing: python3 tests/osc/generate_corpus.py
"""
import os
import random
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")
UDP_PAYLOAD_LIMIT = 65507


def ostr(text):
    raw = text if isinstance(text, bytes) else text.encode()
    raw += b"\0"
    return raw + b"\0" * (-len(raw) % 4)


def blob(data):
    return struct.pack(">i", len(data)) + data + b"\0" * (-len(data) % 4)


def message(address, tags=None, data=b""):
    out = ostr(address)
    if tags is not None:
        out += ostr("," + tags)
    return out + data


def bundle(elements, timetag=1):
    out = b"#bundle\0" + struct.pack(">Q", timetag)
    for element in elements:
        out += struct.pack(">i", len(element)) + element
    return out


def nested(depth, inner):
    packet = inner
    for _ in range(depth):
        packet = bundle([packet])
    return packet


EVERY_TYPE = message(
    "/every/type", "ifsbhtdScrmTFNI[if]",
    struct.pack(">i", -42) + struct.pack(">f", 0.5) + ostr("hello") + blob(b"\x01\x02\x03")
    + struct.pack(">q", -(1 << 40)) + struct.pack(">Q", (3900000000 << 32) | 0x80000000)
    + struct.pack(">d", 3.25) + ostr("sym") + struct.pack(">i", ord("x"))
    + bytes([0x11, 0x22, 0x33, 0x44]) + bytes([0, 0x90, 60, 100])
    + struct.pack(">i", 7) + struct.pack(">f", -1.0))

SIMPLE = message("/mixer/fader/1", "f", struct.pack(">f", 0.75))
TWO_BUNDLE = bundle([SIMPLE, message("/a", "i", struct.pack(">i", 1))], timetag=(3900000000 << 32))

OK_PACKETS = {
    "int": message("/a", "i", struct.pack(">i", 42)),
    "float": SIMPLE,
    "every-type": EVERY_TYPE,
    "no-type-tags": message("/xinfo"),
    "no-type-tags-with-data": message("/legacy") + struct.pack(">i", 5),
    "empty-type-tags": message("/ping", ""),
    "string-of-4": message("/s", "s", ostr("abcd")),
    "string-empty": message("/s", "s", ostr("")),
    "blob-empty": message("/b", "b", blob(b"")),
    "blob-4": message("/b", "b", blob(b"\xc0\xdb\x00\xff")),
    "blob-5": message("/b", "b", blob(b"12345")),
    "nested-arrays": message("/arr", "[[i]s[]]", struct.pack(">i", 1) + ostr("x")),
    "utf8-address": message("/caf\xe9/\u00fc", "T"),
    "midi": message("/midi/1/cc/7", "m", bytes([0, 0xb0, 7, 100])),
    "bundle-empty": bundle([]),
    "bundle-one": bundle([SIMPLE]),
    "bundle-two": TWO_BUNDLE,
    "bundle-nested": bundle([SIMPLE, bundle([EVERY_TYPE]), message("/z")]),
    "bundle-nested-8": nested(8, SIMPLE),
    "bundle-of-empty-bundle": bundle([bundle([])]),
}


def bad_packets():
    bad = {}
    # Cutting exactly after the address leaves a valid OSC 1.0 message without type tags, and
    # cutting a bundle between elements leaves a valid shorter bundle: those are not malformed.
    for cut in range(len(EVERY_TYPE)):
        if cut != len(ostr("/every/type")):
            bad["truncated-every-type-at-%03d" % cut] = EVERY_TYPE[:cut]
    for cut in range(0, len(TWO_BUNDLE), 4):
        if cut not in (0, 8, 16, 16 + 4 + len(SIMPLE)):  # 0 and 8 are named cases below
            bad["truncated-bundle-at-%03d" % cut] = TWO_BUNDLE[:cut]
    i = lambda v: struct.pack(">i", v)
    u = lambda v: struct.pack(">I", v)
    bad.update({
        "one-byte": b"#",
        "size-not-multiple-of-4-plus-1": SIMPLE + b"\0",
        "size-not-multiple-of-4-plus-2": SIMPLE + b"\0\0",
        "size-not-multiple-of-4-plus-3": SIMPLE + b"\0\0\0",
        "address-without-slash": message("mixer", "i", i(1)),
        "address-empty": message("", "i", i(1)),
        "address-without-nul": b"/abcdefg",
        "address-bad-padding": b"/a\0x,i\0\0" + i(1),
        "hash-but-not-bundle": message("#bundlx", "i", i(1)),
        "hash-bundle-uppercase": b"#BUNDLE\0" + bytes(8),
        "type-tags-without-nul": b"/a\0\0,iii",
        "type-tags-bad-padding": b"/a\0\0,i\0x" + i(1),
        "type-tags-longer-than-data": message("/a", "iii", i(1)),
        "type-tags-longer-than-data-by-one-double": message("/a", "d", i(1)),
        "string-arg-without-nul": message("/a", "s") + b"abcd",
        "string-arg-runs-to-end": message("/a", "s") + b"abcdefgh",
        "string-arg-bad-padding": message("/a", "s") + b"ab\0x",
        "string-arg-missing": message("/a", "s"),
        "symbol-arg-without-nul": message("/a", "S") + b"symb",
        "blob-tag-without-size": message("/a", "b"),
        "blob-size-negative": message("/a", "b", i(-4) + bytes(4)),
        "blob-size-7fffffff": message("/a", "b", i(0x7FFFFFFF) + bytes(8)),
        "blob-size-ffffffff": message("/a", "b", u(0xFFFFFFFF) + bytes(8)),
        "blob-larger-than-remains": message("/a", "b", i(8) + bytes(4)),
        "blob-padding-beyond-end": message("/a", "b", i(5) + b"12345" + b"\0\0"),
        "blob-ends-at-end-without-padding": message("/a", "b", i(6) + b"123456"),
        "blob-bad-padding": message("/a", "b", i(1) + b"1xyz"),
        "unknown-type-tag-x": message("/a", "x", i(1)),
        "unknown-type-tag-Z": message("/a", "iZ", i(1) + i(2)),
        "unknown-type-tag-space": message("/a", " "),
        "unbalanced-open": message("/a", "[i", i(1)),
        "unbalanced-close": message("/a", "i]", i(1)),
        "unbalanced-close-open": message("/a", "][", b""),
        "trailing-bytes": message("/a", "i", i(1) + i(2)),
        "trailing-bytes-no-args": message("/a", "", i(2)),
        "bundle-8-bytes": b"#bundle\0",
        "bundle-12-bytes": b"#bundle\0" + bytes(4),
        "bundle-element-size-0": bundle([]) + i(0),
        "bundle-element-size-0-then-message": bundle([]) + i(0) + i(len(SIMPLE)) + SIMPLE,
        "bundle-element-size-not-multiple-of-4": bundle([]) + i(5) + SIMPLE,
        "bundle-element-larger-than-remains": bundle([]) + i(len(SIMPLE) + 4) + SIMPLE,
        "bundle-element-size-negative": bundle([]) + i(-4) + SIMPLE,
        "bundle-element-size-7fffffff": bundle([]) + i(0x7FFFFFFF) + SIMPLE,
        "bundle-element-size-only": bundle([SIMPLE]) + i(4),
        "bundle-element-malformed-message": bundle([SIMPLE, message("/a", "s") + b"abcd"]),
        "bundle-element-not-osc": bundle([b"GET / HTTP/1.0\r\n"]),
        "bundle-element-short-bundle": bundle([b"#bundle\0"]),
        "bundle-nested-9": nested(9, SIMPLE),
        "bundle-nested-9-empty": nested(8, bundle([])),
        "bundle-nested-1000": nested(1000, SIMPLE),
        "bundle-nested-9-malformed-inside": nested(9, b"nope"),
        "http-get": b"GET / HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n",
        "http-response": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "json": b'{"address": "/a", "args": [1]}\n',
        "text-line": b"hello world\n",
        "all-zero-16": bytes(16),
        "all-ff-16": b"\xff" * 16,
        "slip-framed-message": b"\xc0" + SIMPLE + b"\xc0" + b"\0\0",
        "length-prefixed-message": i(len(SIMPLE)) + SIMPLE,
        "address-only-nul": bytes(4),
        "address-only-slash-no-nul": b"/abc",
        "bundle-element-12-byte-bundle": bundle([b"#bundle\0" + bytes(4)]),
        "message-then-bundle-tag": message("/a", "") + b"#bundle\0",
        "int64-short": message("/a", "h", i(1)),
        "timetag-short": message("/a", "t", i(1)),
        "double-missing": message("/a", "d"),
        "char-missing": message("/a", "c"),
        "float-missing": message("/a", "f"),
        "symbol-bad-padding": message("/a", "S") + b"ab\0x",
        "rgba-missing": message("/a", "r"),
        "midi-missing": message("/a", "m"),
        "array-missing-data": message("/a", "[ii]", i(1)),
        "bundle-then-garbage": bundle([]) + b"abcd",
        "nested-element-larger-than-its-bundle": bundle(
            [b"#bundle\0" + bytes(8) + i(len(SIMPLE) + 4) + SIMPLE, SIMPLE]),
    })
    rng = random.Random(20240601)
    for n in (1, 3, 4, 8, 17, 64, 256, 1500):
        data = bytes(rng.randrange(256) for _ in range(n))
        if data[:1] in (b"/", b"#"):
            data = b"\x00" + data[1:]
        bad["random-%04d-bytes" % n] = data
    return bad


def slip(frame):
    return b"\xc0" + frame.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


ESCAPED = OK_PACKETS["blob-4"]

SLIP_STREAMS = {
    "ok-one-frame": slip(SIMPLE),
    "ok-two-frames": slip(SIMPLE) + slip(TWO_BUNDLE),
    "ok-escaped-bytes": slip(ESCAPED),
    "ok-single-end-separators": b"\xc0" + SIMPLE + b"\xc0" + SIMPLE + b"\xc0",
    "ok-no-leading-end": SIMPLE + b"\xc0",
    "ok-stream-of-ends": b"\xc0" * 64,
    "ok-every-type": slip(EVERY_TYPE),
    "bad-esc-invalid-byte": b"\xc0/a\0\0\xdb\x41,i\0\0\xc0" + slip(SIMPLE),
    "bad-esc-then-end": b"\xc0/a\0\0\xdb\xc0" + slip(SIMPLE),
    "bad-esc-esc-then-invalid": b"\xc0\xdb\xdb" + b"\xc0",
    "bad-no-end-ever": SIMPLE * 16,
    "bad-truncated-frame": slip(EVERY_TYPE)[:-7],
    "bad-esc-at-end-of-stream": b"\xc0" + SIMPLE + b"\xdb",
}


def length_frame(frame):
    return struct.pack(">I", len(frame)) + frame


LENGTH_STREAMS = {
    "ok-one-frame": length_frame(SIMPLE),
    "ok-two-frames": length_frame(SIMPLE) + length_frame(TWO_BUNDLE),
    "ok-zero-length-keepalive": length_frame(b"") + length_frame(SIMPLE) + length_frame(b""),
    "ok-every-type": length_frame(EVERY_TYPE),
    "bad-length-7fffffff": struct.pack(">I", 0x7FFFFFFF) + SIMPLE,
    "bad-length-fffffffc": struct.pack(">I", 0xFFFFFFFC) + SIMPLE,
    "bad-length-80000000": struct.pack(">I", 0x80000000),
    "bad-length-65537": length_frame(SIMPLE) + struct.pack(">I", 65537) + SIMPLE,
    "bad-truncated-header": length_frame(SIMPLE) + b"\0\0",
    "bad-truncated-body": length_frame(EVERY_TYPE)[:-5],
}


def write(directory, name, data):
    path = os.path.join(ROOT, directory, name)
    with open(path, "wb") as f:
        f.write(data)


def main():
    for directory in ("packet", "slip", "length"):
        os.makedirs(os.path.join(ROOT, directory), exist_ok=True)
        for old in os.listdir(os.path.join(ROOT, directory)):
            if old.startswith(("ok-", "bad-")):
                os.remove(os.path.join(ROOT, directory, old))
    packets = {"ok-" + k: v for k, v in OK_PACKETS.items()}
    packets.update({"bad-" + k: v for k, v in bad_packets().items()})
    for name, data in packets.items():
        if len(data) > UDP_PAYLOAD_LIMIT:
            sys.exit("%s is %d bytes, over the UDP payload limit" % (name, len(data)))
        write("packet", name + ".osc", data)
    for name, data in SLIP_STREAMS.items():
        write("slip", name + ".slip", data)
    for name, data in LENGTH_STREAMS.items():
        write("length", name + ".len", data)
    bad = sum(1 for n in packets if n.startswith("bad-"))
    print("packet: %d ok, %d bad; slip: %d; length: %d"
          % (len(packets) - bad, bad, len(SLIP_STREAMS), len(LENGTH_STREAMS)))


if __name__ == "__main__":
    main()
