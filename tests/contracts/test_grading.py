"""Grading: labs attach reports; newer ones supersede older ones, which stay readable."""

from helpers import reverts

from diamondtrace.model import ROLES, text32, token_id


def report(number, carat=152, colour="D", clarity="VVS1", cut="Excellent", lab_grown=False):
    return (text32(number), carat, text32(colour)[:8], text32(clarity)[:8], text32(cut)[:16], lab_grown, b"\x42" * 32)


def test_a_lab_grades_and_regrades_a_stone(registry, cast, stones):
    tx = registry.grade(stones[0], report("GIA-1001"), {"from": cast.lab})
    assert tx.events["StoneGraded"]["reportNumber"] == "0x" + text32("GIA-1001").hex()
    assert tx.events["MetadataUpdate"]["_tokenId"] == stones[0]
    registry.grade(stones[0], report("GIA-2002", colour="E", clarity="VS1"), {"from": cast.lab})
    reports = registry.gradingReports(stones[0])
    assert len(reports) == 2 and registry.stone(stones[0])["gradingCount"] == 2
    assert bytes(reports[0][0][2]).rstrip(b"\0") == b"D"  # the superseded report is still there
    assert bytes(reports[1][0][2]).rstrip(b"\0") == b"E"
    assert reports[1][1] == cast.lab


def test_a_laboratory_grown_finding_marks_the_stone(registry, cast, stones):
    assert not registry.stone(stones[0])["labGrown"]
    registry.grade(stones[0], report("GIA-1001", lab_grown=True), {"from": cast.lab})
    assert registry.stone(stones[0])["labGrown"]


def test_only_labs_grade_and_report_numbers_are_unique_per_lab(registry, cast, stones):
    with reverts("MissingRole", cast.trader.address, ROLES["lab"]):
        registry.grade(stones[0], report("GIA-1001"), {"from": cast.trader})
    registry.grade(stones[0], report("GIA-1001"), {"from": cast.lab})
    with reverts("ReportExists", cast.lab.address, text32("GIA-1001")):
        registry.grade(stones[1], report("GIA-1001"), {"from": cast.lab})
    registry.accredit(cast.relayer, ROLES["lab"], b"BE", "HRD Antwerp", {"from": cast.admin})
    registry.grade(stones[1], report("GIA-1001"), {"from": cast.relayer})  # another lab's numbering
    with reverts("UnknownStone", token_id("NOPE")):
        registry.grade(token_id("NOPE"), report("GIA-3003"), {"from": cast.lab})


def test_a_report_needs_its_fields(registry, cast, stones):
    control_character = list(report("GIA-2"))
    control_character[2] = b"D\x01".ljust(8, b"\0")
    for bad in [report("GIA-1", carat=0), control_character, (b"\0" * 32, *report("x")[1:])]:
        with reverts("InvalidReport"):
            registry.grade(stones[0], bad, {"from": cast.lab})
