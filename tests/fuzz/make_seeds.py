#!/usr/bin/env python3
"""Writes the small hand-made seed inputs under tests/fuzz/seeds/<target>/.

The corpus under ../shared/corpus/public seeds the file-level targets (RDB,
AOF, manifests, nodes.conf; scripts/fuzz.sh picks them). These seeds cover
what the corpus has no standalone file for: bare encoding blobs, single RDB
values, LZF streams, RESP. Deterministic; rerun after a format change.
Usage: tests/fuzz/make_seeds.py [plan.json written by `shardkit plan`]
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- listpack (formats-reference §5.2) ---
def lp_entry(v):
    if isinstance(v, int):
        if 0 <= v < 128:
            body = bytes([v])
        elif -4096 <= v < 4096:
            u = v & 0x1FFF
            body = bytes([0xC0 | (u >> 8), u & 0xFF])
        elif -(1 << 15) <= v < (1 << 15):
            body = b"\xF1" + struct.pack("<h", v)
        elif -(1 << 31) <= v < (1 << 31):
            body = b"\xF3" + struct.pack("<i", v)
        else:
            body = b"\xF4" + struct.pack("<q", v)
    else:
        s = v.encode()
        if len(s) < 64:
            body = bytes([0x80 | len(s)]) + s
        elif len(s) < 4096:
            body = bytes([0xE0 | (len(s) >> 8), len(s) & 0xFF]) + s
        else:
            body = b"\xF0" + struct.pack("<I", len(s)) + s
    n = len(body)
    if n < 128:
        back = bytes([n])
    elif n < 16384:
        back = bytes([n >> 7, (n & 127) | 128])
    else:
        back = bytes([n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128])
    return body + back


def listpack(values):
    body = b"".join(lp_entry(v) for v in values)
    total = 6 + len(body) + 1
    return struct.pack("<IH", total, min(len(values), 65535)) + body + b"\xFF"


# --- ziplist (formats-reference §5.1) ---
def zl_entry(v, prevlen):
    pre = bytes([prevlen]) if prevlen < 254 else b"\xFE" + struct.pack("<I", prevlen)
    if isinstance(v, int):
        if 0 <= v <= 12:
            enc = bytes([0xF1 + v])
        elif -128 <= v < 128:
            enc = b"\xFE" + struct.pack("<b", v)
        elif -(1 << 15) <= v < (1 << 15):
            enc = b"\xC0" + struct.pack("<h", v)
        elif -(1 << 31) <= v < (1 << 31):
            enc = b"\xD0" + struct.pack("<i", v)
        else:
            enc = b"\xE0" + struct.pack("<q", v)
    else:
        s = v.encode()
        if len(s) < 64:
            enc = bytes([len(s)]) + s
        else:
            enc = bytes([0x40 | (len(s) >> 8), len(s) & 0xFF]) + s
    return pre + enc


def ziplist(values):
    body = b""
    prev = 0
    tail = 10
    for v in values:
        e = zl_entry(v, prev)
        tail = 10 + len(body)
        body += e
        prev = len(e)
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, tail, len(values)) + body + b"\xFF"


def intset(width, values):
    fmt = {2: "<h", 4: "<i", 8: "<q"}[width]
    return struct.pack("<II", width, len(values)) + b"".join(struct.pack(fmt, v) for v in sorted(values))


def zipmap(pairs):
    out = bytes([len(pairs)])
    for k, v in pairs:
        out += bytes([len(k)]) + k.encode() + bytes([len(v)]) + b"\x00" + v.encode()
    return out + b"\xFF"


def lzf_literal(data):
    out = b""
    for i in range(0, len(data), 32):
        chunk = data[i:i + 32]
        out += bytes([len(chunk) - 1]) + chunk
    return out


def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + struct.pack(">I", n)


def rdb_str(s):
    b = s if isinstance(s, bytes) else s.encode()
    return rdb_len(len(b)) + b


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def crc64_jones(data):
    """CRC-64/Jones as RDB uses it (reflected, init 0, no final xor)."""
    poly = 0x95AC9329AC4BC9B5
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def rdb_file(body):
    out = b"REDIS0012" + body + b"\xff"
    return out + struct.pack("<Q", crc64_jones(out))


def enterprise_seeds():
    """Redis Enterprise shard files (SPEC.md "Enterprise volumes"): opcodes
    107 (RAM_LRU) and 121 (SLOT_NUM), each one length, before each key; with
    Enterprise AUX fields first, after the first key, or none (then only the
    layout makes them readable). A 0 byte in front picks the chunk size."""
    aux = b"\xfa" + rdb_str("big-used-ram") + rdb_str("1024")
    db_aux = b"\xfa" + rdb_str("bigdb-ram-keys") + rdb_str("2")
    key1 = b"\x79" + rdb_len(15495) + b"\x6b" + rdb_len(67) + b"\x00" + rdb_str("a") + rdb_str("b")
    key2 = (b"\xfc" + struct.pack("<q", 4102444800000) + b"\x79" + rdb_len(3300) + b"\x6b" +
            rdb_len(70) + b"\x00" + rdb_str("c") + rdb_str("d"))
    select = b"\xfe\x00"
    write("fuzz_rdb_enterprise", "aux_first.rdb", b"\x00" + rdb_file(aux + select + db_aux + key1 + key2))
    write("fuzz_rdb_enterprise", "aux_late.rdb", b"\x00" + rdb_file(select + key1 + aux + key2))
    write("fuzz_rdb_enterprise", "no_aux.rdb", b"\x00" + rdb_file(select + key1 + key2))


def main():
    enterprise_seeds()
    lp_small = listpack(["a", "bb", 7, -3, 1000, -70000, 1 << 40, "x" * 70])
    lp_hash = listpack(["f1", "v1", "f2", 2, "f3", "v3"])
    write("fuzz_listpack", "mixed.lp", lp_small)
    write("fuzz_listpack", "hash.lp", lp_hash)
    write("fuzz_listpack", "long.lp", listpack(["y" * 300, 12345678901]))
    zl = ziplist(["a", 5, -100, 300, 70000, 1 << 40, "z" * 80])
    write("fuzz_ziplist", "mixed.zl", zl)
    write("fuzz_ziplist", "pairs.zl", ziplist(["f", "v", "g", 1]))
    for w, vals in ((2, [1, 2, 300]), (4, [-70000, 5, 70000]), (8, [-(1 << 40), 0, 1 << 40])):
        write("fuzz_intset", "w%d.is" % w, intset(w, vals))
    zm = zipmap([("name", "redis"), ("k", "v")])
    write("fuzz_zipmap", "two.zm", zm)
    text = b"hello hello hello hello, listpack listpack"
    # LZF input: 3-byte claimed length, then the stream (literal run plus a
    # back reference: ctrl 0x20|off_hi, off_lo copies 3 bytes from 6 back).
    write("fuzz_lzf", "literal.lzf", struct.pack("<I", len(text))[:3] + lzf_literal(text))
    write("fuzz_lzf", "backref.lzf", struct.pack("<I", 9)[:3] + b"\x05hello!" + b"\x20\x05")

    # Single RDB values: type byte + value (fuzz_rdb_value wraps them).
    write("fuzz_rdb_value", "string", b"\x00" + rdb_str("value"))
    write("fuzz_rdb_value", "string_int", b"\x00\xc0\x7b")
    write("fuzz_rdb_value", "string_lzf",
          b"\x00\xc3" + rdb_len(len(lzf_literal(text))) + rdb_len(len(text)) + lzf_literal(text))
    write("fuzz_rdb_value", "list", b"\x01\x02" + rdb_str("a") + rdb_str("b"))
    write("fuzz_rdb_value", "set", b"\x02\x02" + rdb_str("a") + rdb_str("b"))
    write("fuzz_rdb_value", "hash", b"\x04\x01" + rdb_str("f") + rdb_str("v"))
    write("fuzz_rdb_value", "zset2", b"\x05\x01" + rdb_str("m") + struct.pack("<d", 1.5))
    write("fuzz_rdb_value", "zipmap", b"\x09" + rdb_str(zm))
    write("fuzz_rdb_value", "list_ziplist", b"\x0a" + rdb_str(zl))
    write("fuzz_rdb_value", "intset", b"\x0b" + rdb_str(intset(2, [1, 2, 3])))
    write("fuzz_rdb_value", "zset_ziplist", b"\x0c" + rdb_str(ziplist(["m", 1, "n", 2])))
    write("fuzz_rdb_value", "hash_ziplist", b"\x0d" + rdb_str(ziplist(["f", "v"])))
    write("fuzz_rdb_value", "quicklist", b"\x0e\x02" + rdb_str(zl) + rdb_str(ziplist(["q"])))
    write("fuzz_rdb_value", "hash_listpack", b"\x10" + rdb_str(lp_hash))
    write("fuzz_rdb_value", "zset_listpack", b"\x11" + rdb_str(listpack(["m", 1, "n", 2])))
    write("fuzz_rdb_value", "quicklist2",
          b"\x12\x02\x02" + rdb_str(lp_small) + b"\x01" + rdb_str("plain-node"))
    write("fuzz_rdb_value", "set_listpack", b"\x14" + rdb_str(listpack(["a", "b", 3])))

    write("fuzz_resp", "commands.resp",
          b"\x00" + resp("SELECT", "0") + resp("SET", "k", "v") + b"#TS:1700000000\r\n" +
          resp("MULTI") + resp("INCR", "n") + resp("EXEC"))
    write("fuzz_aof", "legacy.aof",
          b"\x00" + resp("SELECT", "0") + resp("SET", "a", "1") + resp("LPUSH", "l", "x", "y") +
          resp("MULTI") + resp("SADD", "s", "m") + resp("EXEC"))
    write("fuzz_aof_manifest", "multi.manifest",
          b'file appendonly.aof.1.base.rdb seq 1 type b\n'
          b'file appendonly.aof.1.incr.aof seq 1 type h\n'
          b'file appendonly.aof.2.incr.aof seq 2 type i\n'
          b'file "with space.aof" seq 3 type i startoffset 10 endoffset 20\n')
    write("fuzz_byte_reader", "pattern", bytes(range(256)))
    if len(sys.argv) > 1:
        with open(sys.argv[1], "rb") as f:
            write("fuzz_plan_json", "plan.json", f.read())


if __name__ == "__main__":
    main()
