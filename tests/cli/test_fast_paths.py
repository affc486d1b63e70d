"""The batch mint's fast paths give exactly what the general ones give: the bulk CSV reader what
the csv module reads (rows, or the same problems), the direct ABI codec what eth-abi encodes."""

import datetime as dt

import pytest
from faster_eth_abi import decode, encode
from hypothesis import given, settings
from hypothesis import strategies as st

from diamondtrace import mint, production, tables
from diamondtrace.abi import decode_result, encode_args
from diamondtrace.chain import EIP7825_TX_GAS_CAP

HEADER = "stone_id,carat,mine,country,production_date"
TODAY = dt.date(2026, 11, 25)
CELLS = [
    ["BW-1", "BW-2", "BW-3", "=cmd", "", "BW 4"],
    ["1.5", "0.25", "0", "x", "12.345", "10485.76", "007.10"],
    ["Jwaneng", "", " Orapa ", "+SUM(1)"],
    ["BW", "ZZ", "bw"],
    ["2026-11-20", "2030-01-01", "20-11-2026", "2026-11-31"],
]
OPTIONAL = {
    "kp_certificate": ["", "BW-KP-1", "@x", "x" * 33],
    "description": ["", "Yellowish octahedron", "ñandú " * 90, "tab\there"],
}


def _lines(columns):
    row = st.tuples(*map(st.sampled_from, columns)).map(",".join)
    return st.one_of(row, row.map(lambda r: r + ",extra"), row.map(lambda r: r.rsplit(",", 1)[0]), st.just(""), st.just("  "))


def _read(path, bulk: bool):
    try:
        return [
            (r.line, r.stone_id, r.token_id, r.centicarats, r.mine, r.country, r.production_date, r.kp_certificate, r.description)
            for r in production.read_production_run(path, TODAY, bulk=bulk)
        ]
    except tables.TableInvalid as exc:
        return str(exc)


@st.composite
def _files(draw):
    extra = draw(st.lists(st.sampled_from(sorted(OPTIONAL)), unique=True))
    lines = draw(st.lists(_lines(CELLS + [OPTIONAL[name] for name in extra]), min_size=1, max_size=8))
    return ",".join([HEADER, *extra]), lines


@settings(max_examples=200, deadline=None)
@given(file=_files(), newline=st.sampled_from(["\n", "\r\n"]), last=st.sampled_from(["", "\n", "\r\n"]))
def test_the_bulk_reader_reads_what_the_csv_module_reads(tmp_path_factory, file, newline, last):
    header, lines = file
    path = tmp_path_factory.mktemp("runs") / "run.csv"
    path.write_bytes((newline.join([header, *lines]) + last).encode())
    assert _read(path, bulk=True) == _read(path, bulk=False)


def test_a_mine_export_takes_the_bulk_path(tmp_path):
    text = HEADER + "\r\n" + "\r\n".join(f"BW-{i},1.{i % 100:02d},Jwaneng,BW,2026-11-20" for i in range(3000)) + "\r\n"
    path = tmp_path / "run.csv"
    path.write_bytes(text.encode())
    table = tables.read(path, production.STONES)
    assert table.plain and table.header == HEADER.split(",") and len(table.columns["stone_id"]) == 3000
    assert tables.bulk_values(table.columns, production.columns_for(TODAY), "stone_id", set()) is not None
    assert _read(path, bulk=True) == _read(path, bulk=False)


STATIC = {
    "address": st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
    "bytes32": st.binary(min_size=32, max_size=32),
    "uint8": st.integers(0, 255),
    "(address,bytes32,bytes2,uint32,uint8,bytes32)": st.tuples(
        st.just("0x" + "11" * 20),
        st.binary(min_size=32, max_size=32),
        st.binary(min_size=2, max_size=2),
        st.integers(0, 2**32 - 1),
        st.integers(0, 255),
        st.binary(min_size=32, max_size=32),
    ),
    # register's BatchInput
    "(address,bytes32,bytes2,uint24,bool,bytes32)": st.tuples(
        st.just("0x" + "22" * 20),
        st.binary(min_size=32, max_size=32),
        st.binary(min_size=2, max_size=2),
        st.integers(0, 2**24 - 1),
        st.booleans(),
        st.binary(min_size=32, max_size=32),
    ),
}
ARRAY = st.sampled_from([8, 32, 64, 128, 256]).flatmap(
    lambda n: st.tuples(st.just(f"uint{n}[]"), st.lists(st.integers(0, 2**n - 1), max_size=12))
)
# A batch's descriptions: mostly empty, some long enough to span several words, any Unicode.
STRINGS = st.tuples(st.just("string[]"), st.lists(st.one_of(st.just(""), st.text(max_size=80)), max_size=6))
ARGUMENT = st.one_of(ARRAY, STRINGS, st.sampled_from(sorted(STATIC)).flatmap(lambda t: st.tuples(st.just(t), STATIC[t])))


@settings(max_examples=300, deadline=None)
@given(arguments=st.lists(ARGUMENT, min_size=1, max_size=5))
def test_the_direct_codec_encodes_and_decodes_as_eth_abi_does(arguments):
    types = [t for t, _ in arguments]
    values = [v for _, v in arguments]
    assert encode_args(types, values) == encode(types, values)
    if all(t.endswith("[]") for t in types):
        assert (
            decode_result(types, encode(types, values))
            == tuple(tuple(v) for v in values)
            == tuple(decode(types, encode(types, values)))
        )


@settings(max_examples=100, deadline=None)
@given(
    batch=STATIC["(address,bytes32,bytes2,uint24,bool,bytes32)"],
    stones=st.lists(
        st.tuples(st.integers(0, 2**256 - 1), st.integers(0, 2**32 - 1), st.text(max_size=60)), min_size=1, max_size=8
    ),
    described=st.booleans(),
)
def test_a_registration_is_encoded_as_eth_abi_encodes_it(batch, stones, described):
    """register(BatchInput, uint256[], uint32[], string[]) with or without descriptions: the
    shape `mint` sends for every batch."""
    types = ["(address,bytes32,bytes2,uint24,bool,bytes32)", "uint256[]", "uint32[]", "string[]"]
    values = [batch, [t for t, _, _ in stones], [w for _, w, _ in stones], [d for _, _, d in stones] if described else []]
    assert encode_args(types, values) == encode(types, values)


def test_the_direct_codec_refuses_what_eth_abi_refuses():
    with pytest.raises(ValueError):
        encode_args(["uint32[]"], [[2**32]])
    with pytest.raises(Exception, match="[Pp]adding"):
        decode_result(["uint32[]"], encode(["uint256[]"], [[2**40]]))


def _fit_by_definition(batches, gas):
    """Each batch cut where the next stone would pass the cap, its descriptions summed afresh."""
    fitted = []
    for batch in batches:
        start = 0
        for end in range(1, len(batch) + 1):
            if end - start > 1 and gas(end - start) + mint.description_gas(batch[start:end]) > EIP7825_TX_GAS_CAP:
                fitted.append(batch[start : end - 1])
                start = end - 1
        fitted.append(batch[start:])
    return fitted


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 120), min_size=1, max_size=4),
    described=st.lists(st.sampled_from([None, "", "x", "ñandú " * 200, "y" * 20_000]), min_size=1, max_size=7),
    per_stone=st.integers(100_000, 4_000_000),
)
def test_fit_cuts_batches_where_the_definition_does(sizes, described, per_stone):
    """mint.fit keeps a running sum of the descriptions' gas: the same cuts as summing each slice."""
    rows = iter(range(10_000))
    batches = [
        [
            production.StoneRow(i, f"BW-{i}", i, 100, "Jwaneng", "BW", TODAY, None, described[i % len(described)] or None)
            for i in (next(rows) for _ in range(size))
        ]
        for size in sizes
    ]

    def gas(n):
        return 60_000 + per_stone * n

    fitted = mint.fit(batches, gas)
    assert fitted == _fit_by_definition(batches, gas)
    assert [r for b in fitted for r in b] == [r for b in batches for r in b]
    assert all(len(b) == 1 or gas(len(b)) + mint.description_gas(b) <= EIP7825_TX_GAS_CAP for b in fitted)
