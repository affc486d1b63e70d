"""tokenURI: valid JSON with an SVG card any explorer renders, attributes equal to the on-chain record,
the three assurances stated plainly."""

import base64
import json
import xml.etree.ElementTree as ET

from helpers import DOC, grading_report, polished_stone, record_certificate, register, rough_at_manufacturer

from diamondtrace.model import ZERO32, Action, Flag, format_carat, text32, token_id


def metadata(registry, token):
    uri = registry.tokenURI(token)
    prefix = "data:application/json;base64,"
    assert uri.startswith(prefix)
    data = json.loads(base64.b64decode(uri[len(prefix) :]))
    assert set(data) == {"name", "description", "image", "attributes"}
    image_prefix = "data:image/svg+xml;base64,"
    assert data["image"].startswith(image_prefix)
    svg = ET.fromstring(base64.b64decode(data["image"][len(image_prefix) :]))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    attributes = {a["trait_type"]: a["value"] for a in data["attributes"]}
    return data, svg, attributes


def svg_text(svg):
    return " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))


def test_metadata_matches_the_on_chain_record(registry, cast):
    stone = polished_stone(registry, cast, stone="IN-POL-7", centicarats=305, to=cast.lab)
    registry.grade(stone, grading_report("GIA-77", carat=301), {"from": cast.lab})
    data, svg, attrs = metadata(registry, stone)
    s = registry.stone(stone)
    assert attrs["Stone ID"] == s["stoneId"] == "IN-POL-7"
    assert attrs["Carat"] == float(format_carat(s["centicarats"])) == 3.05
    assert attrs["Kind"] == "Polished"
    assert attrs["Status"] == "In the trade"
    assert attrs["Origin"] == "Traced from the mine"
    assert attrs["Mine"] == "Jwaneng" and attrs["Country of origin"] == "BW"
    assert attrs["KP certificate"] == "KP-BW-R-IN-POL-7"
    assert attrs["Kimberley Process"] == "Every border crossing certified"
    assert attrs["System of Warranties"] == "Every sale warranted" and s["warranted"]
    assert attrs["RJC"] == "A holder not certified" and not s["rjcCertified"]
    assert attrs["Grading"] == "D / VVS1 / Excellent (report GIA-77)"
    assert attrs["Natural or lab-grown"] == "Natural"
    assert attrs["Parent stone"] == "BW-R-IN-POL-7"
    assert "IN-POL-7" in data["name"] and "3.05 ct" in svg_text(svg)
    assert "KP: Every border crossing certified (KP-BW-R-IN-POL-7)" in svg_text(svg)
    display = [a for a in data["attributes"] if a.get("display_type") == "number"]
    assert {a["trait_type"] for a in display} == {"Carat"}


def test_the_rough_parent_shows_its_split(registry, cast):
    parent = rough_at_manufacturer(registry, cast)
    registry.split(parent, [token_id("IN-POL-7")], [305], [], {"from": cast.manufacturer})
    _, _, attrs = metadata(registry, parent)
    assert attrs["Kind"] == "Rough" and attrs["Status"] == "Split into polished stones"
    assert attrs["Parent stone"] == "None" and attrs["Natural or lab-grown"] == "Not graded"


def test_a_declared_origin_is_shown_as_not_traced(registry, cast):
    registry.declare((text32("Unknown"), b"\0\0", False), [token_id("IN-OLD-1")], [120], [], {"from": cast.manufacturer})
    data, svg, attrs = metadata(registry, token_id("IN-OLD-1"))
    assert attrs["Origin"] == "Origin declared, not traced from the mine"
    assert attrs["Kimberley Process"] == "Not traced (origin declared)"
    assert attrs["Country of origin"] == "unknown" and attrs["KP certificate"] == "None"
    assert "Origin declared, not traced from the mine" in data["description"]
    assert "Origin declared, not traced from the mine" in svg_text(svg)


def test_laboratory_grown_and_flags_are_shown_everywhere(registry, cast):
    stone = polished_stone(registry, cast, to=cast.lab)
    registry.grade(stone, grading_report("IGI-1", lab_grown=True), {"from": cast.lab})
    registry.flag(stone, Flag.STOLEN, ZERO32, {"from": cast.lab})
    data, svg, attrs = metadata(registry, stone)
    assert data["name"].startswith("Laboratory-grown")
    assert data["description"].startswith("LABORATORY-GROWN")
    assert attrs["Natural or lab-grown"] == "Laboratory-grown"
    assert attrs["Kimberley Process"] == "Not applicable (laboratory-grown)"
    assert attrs["Status"] == "REPORTED STOLEN"
    text = svg_text(svg)
    assert "LABORATORY-GROWN" in text and "REPORTED STOLEN" in text


def test_characters_that_mean_something_in_json_or_xml_are_escaped(registry, cast):
    sid = 'BW-A"B\\C<D>&E'
    register(registry, cast.producer, [(sid, 100)], mine='Mine "<&>" 7')
    data, svg, attrs = metadata(registry, token_id(sid))
    assert attrs["Stone ID"] == sid and attrs["Mine"] == 'Mine "<&>" 7'
    assert sid in svg_text(svg)


def test_erc165_and_erc4906(registry, cast, stones):
    for interface in ["0x80ac58cd", "0x5b5e139f", "0x01ffc9a7", "0x49064906"]:
        assert registry.supportsInterface(interface), interface
    assert not registry.supportsInterface("0xffffffff")
    stone = polished_stone(registry, cast, to=cast.retailer)
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    # Every change of what the metadata shows announces itself.
    for tx in [
        registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, False, {"from": cast.producer}),
        registry.flag(stones[1], Flag.LOST, ZERO32, {"from": cast.producer}),
        registry.clearFlag(stones[1], DOC, {"from": cast.admin}),
        registry.transferCustody(cast.trader, stones[2], Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.producer}),
        registry.transferCustody(cast.consumer, stone, Action.RETAIL_SALE, DOC, ZERO32, True, {"from": cast.retailer}),
    ]:
        assert "MetadataUpdate" in tx.events, tx.fn_name
