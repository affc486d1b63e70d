"""Grading: the lab that holds a stone records reports in the grading book; newer ones supersede
older ones, which stay readable a page at a time."""

import pytest
from helpers import DOC, grading_report, polished_stone, record_certificate, register, reverts

from diamondtrace.model import ROLES, ZERO32, Action, text32, token_id


@pytest.fixture
def at_lab(registry, cast):
    """A polished stone sent to the lab for grading."""
    return polished_stone(registry, cast, to=cast.lab)


def _colours(reports):
    return [bytes(r["report"]["colour"]).rstrip(b"\0").decode() for r in reports]


def test_a_lab_grades_and_regrades_a_stone(registry, cast, grading, at_lab):
    tx = registry.grade(at_lab, grading_report("GIA-1001"), {"from": cast.lab})
    assert tx.events["StoneGraded"]["reportNumber"] == "0x" + text32("GIA-1001").hex()
    assert tx.events["StoneGraded"]["lab"] == cast.lab
    assert tx.events["MetadataUpdate"]["_tokenId"] == at_lab
    regrade = registry.grade(at_lab, grading_report("GIA-2002", colour="E", clarity="VS1"), {"from": cast.lab})
    reports = grading.gradingReports(at_lab, 0, 10)
    assert registry.stone(at_lab)["gradingCount"] == 2 and tuple(grading.current(at_lab)) == (2, False)
    assert _colours(reports) == ["D", "E"]  # the superseded report is still there, oldest first
    assert reports[1]["lab"] == cast.lab and reports[1]["issuedAt"] == regrade.timestamp


def test_reports_are_read_a_page_at_a_time(registry, cast, grading, at_lab):
    for i, colour in enumerate("DEFGH"):
        registry.grade(at_lab, grading_report(f"GIA-{i}", colour=colour), {"from": cast.lab})
    assert _colours(grading.gradingReports(at_lab, 0, 2)) == ["D", "E"]
    assert _colours(grading.gradingReports(at_lab, 3, 10)) == ["G", "H"]
    assert _colours(grading.gradingReports(at_lab, 4, 1)) == ["H"]  # the one in force
    assert grading.gradingReports(at_lab, 5, 10) == [] and grading.gradingReports(at_lab, 99, 1) == []
    assert grading.gradingReports(token_id("NOPE"), 0, 10) == []


def test_a_laboratory_grown_finding_marks_the_stone(registry, cast, grading, at_lab):
    assert not registry.stone(at_lab)["labGrown"]
    registry.grade(at_lab, grading_report("GIA-1001", lab_grown=True), {"from": cast.lab})
    assert registry.stone(at_lab)["labGrown"] and tuple(grading.current(at_lab)) == (1, True)


def test_only_labs_grade_and_report_numbers_are_unique_per_lab(registry, cast, at_lab):
    registry.accredit(cast.relayer, ROLES["trader"] | ROLES["lab"], b"US", "Second US lab", ZERO32, {"from": cast.admin})
    second = polished_stone(registry, cast, stone="IN-POL-02", to=cast.relayer)
    with reverts("MissingRole", cast.retailer.address, ROLES["lab"]):
        registry.grade(at_lab, grading_report("GIA-1001"), {"from": cast.retailer})
    registry.grade(at_lab, grading_report("GIA-1001"), {"from": cast.lab})
    with reverts("ReportExists", cast.lab.address, text32("GIA-1001")):
        registry.grade(at_lab, grading_report("GIA-1001"), {"from": cast.lab})
    registry.grade(second, grading_report("GIA-1001"), {"from": cast.relayer})  # another lab's numbering
    with reverts("NotHolder", cast.lab.address, token_id("NOPE")):
        registry.grade(token_id("NOPE"), grading_report("GIA-3003"), {"from": cast.lab})


def test_a_report_needs_its_fields(registry, cast, at_lab):
    control_character = list(grading_report("GIA-2"))
    control_character[2] = b"D\x01".ljust(8, b"\0")
    for bad in [grading_report("GIA-1", carat=0), control_character, (b"\0" * 32, *grading_report("x")[1:])]:
        with reverts("InvalidReport"):
            registry.grade(at_lab, bad, {"from": cast.lab})


def test_a_retired_stone_is_not_graded(registry, cast):
    # A lab that also cuts: it splits the rough it holds, then cannot grade the retired parent.
    registry.accredit(
        cast.lab, ROLES["lab"] | ROLES["manufacturer"], b"US", "Gemological Lab of America", text32("US-"), {"from": cast.admin}
    )
    register(registry, cast.producer, [("BW-R-LAB", 500)])
    record_certificate(registry, cast.kp_bw, "KP-LAB", cast.producer, cast.lab, importing="US")
    registry.transferCustody(cast.lab, token_id("BW-R-LAB"), Action.EXPORT, DOC, text32("KP-LAB"), True, {"from": cast.producer})
    registry.split(token_id("BW-R-LAB"), [token_id("US-1")], [400], [], {"from": cast.lab})
    with reverts("StoneRetired", token_id("BW-R-LAB")):
        registry.grade(token_id("BW-R-LAB"), grading_report("GIA-9"), {"from": cast.lab})
    registry.grade(token_id("US-1"), grading_report("GIA-9"), {"from": cast.lab})
