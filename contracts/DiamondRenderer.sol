// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {LibString} from "solady/utils/LibString.sol";

import {IDiamondRegistry} from "../interfaces/IDiamondRegistry.sol";
import {IDiamondRenderer} from "../interfaces/IDiamondRenderer.sol";
import {IGradingBook} from "../interfaces/IGradingBook.sol";
import {Ascii32} from "./libraries/Ascii32.sol";

/// @title DiamondRenderer: a stone's ERC-721 metadata, built on chain from the registry's records
/// @notice Returns a `data:application/json;base64,` URI in the conventions Etherscan, Blockscout
/// and OpenSea render: `name`, `description`, an `image` that is an SVG card (itself a `data:`
/// URI, so no server is needed) and `attributes` as `trait_type`/`value` pairs. The card and the
/// attributes state the three assurances plainly (Kimberley Process, WDC System of Warranties,
/// RJC); a laboratory-grown stone says so in its name, description, card and attributes, and a
/// stone entered with a declared origin says that its origin is declared, not traced.
contract DiamondRenderer is IDiamondRenderer {
    using LibString for uint256;

    /// @dev What the metadata shows, gathered once from the registry's views.
    struct View {
        IDiamondRegistry.Stone stone;
        IDiamondRegistry.Batch origin;
        string stoneId;
        string carat;
        string status;
        string kind;
        string mine;
        string country;
        string provenance;
        string grading;
        string finding;
        string certificate;
        string kp;
        string sow;
        string rjc;
    }

    /// @inheritdoc IDiamondRenderer
    function tokenURI(IDiamondRegistry registry, uint256 tokenId) external view returns (string memory) {
        View memory v = _gather(registry, tokenId);
        string memory json = string.concat(
            '{"name":"',
            _name(v),
            '","description":"',
            _description(v),
            '","image":"data:image/svg+xml;base64,',
            Base64.encode(bytes(_card(v))),
            '","attributes":',
            _attributes(v),
            "}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(bytes(json)));
    }

    function _gather(IDiamondRegistry registry, uint256 tokenId) private view returns (View memory v) {
        v.stone = registry.stone(tokenId);
        v.origin = registry.batch(registry.stone(registry.rootOf(tokenId)).batch);
        v.stoneId = v.stone.stoneId;
        v.carat = _carat(v.stone.centicarats);
        v.kind = v.stone.kind == IDiamondRegistry.Kind.Rough ? "Rough" : "Polished";
        v.status = _status(v.stone);
        v.mine = Ascii32.toString(v.origin.mine);
        v.country = v.origin.country == bytes2(0) ? "unknown" : Ascii32.toString(bytes32(v.origin.country));
        bool declared = v.origin.origin == IDiamondRegistry.Origin.Declared;
        v.provenance = declared ? "Origin declared, not traced from the mine" : "Traced from the mine";
        v.certificate = v.stone.certificate == 0
            ? "None"
            : Ascii32.toString(registry.certificates().certificate(v.stone.certificate).declared.number);
        if (v.stone.labGrown) v.kp = "Not applicable (laboratory-grown)";
        else if (declared) v.kp = "Not traced (origin declared)";
        else v.kp = "Every border crossing certified";
        v.sow = v.stone.warranted ? "Every sale warranted" : "A sale without the warranty";
        v.rjc = v.stone.rjcCertified ? "Every holder certified" : "A holder not certified";
        v.grading = "Not graded";
        v.finding = v.stone.labGrown ? "Laboratory-grown" : "Not graded";
        if (v.stone.gradingCount != 0) {
            IGradingBook.GradingInput memory r =
                registry.grading().gradingReports(tokenId, v.stone.gradingCount - 1, 1)[0].report;
            v.grading = string.concat(
                Ascii32.toString(r.colour),
                " / ",
                Ascii32.toString(r.clarity),
                " / ",
                Ascii32.toString(r.cut),
                " (report ",
                Ascii32.toString(r.reportNumber),
                ")"
            );
            if (!v.stone.labGrown) v.finding = "Natural";
        }
    }

    function _name(View memory v) private pure returns (string memory) {
        return _json(
            string.concat(v.stone.labGrown ? "Laboratory-grown diamond " : "Diamond ", v.stoneId, " (", v.carat, " ct)")
        );
    }

    function _description(View memory v) private pure returns (string memory) {
        string memory what = string.concat(
            "A ",
            v.carat,
            " ct ",
            v.stone.kind == IDiamondRegistry.Kind.Rough ? "rough" : "polished",
            " diamond from the ",
            v.mine,
            " mine, ",
            v.country,
            ", recorded on the DiamondTrace registry. ",
            v.provenance,
            ". Kimberley Process: ",
            v.kp,
            ". System of Warranties: ",
            v.sow,
            ". RJC: ",
            v.rjc,
            ". Status: ",
            v.status,
            "."
        );
        if (v.stone.labGrown) what = string.concat("LABORATORY-GROWN: this stone is laboratory-grown. ", what);
        return _json(what);
    }

    function _attributes(View memory v) private pure returns (string memory) {
        string memory attrs = string.concat(
            "[",
            _trait("Stone ID", v.stoneId),
            ",",
            _number("Carat", v.carat),
            ",",
            _trait("Kind", v.kind),
            ",",
            _trait("Status", v.status),
            ",",
            _trait("Origin", v.provenance),
            ",",
            _trait("Mine", v.mine),
            ",",
            _trait("Country of origin", v.country),
            ","
        );
        attrs = string.concat(
            attrs,
            _trait("KP certificate", v.certificate),
            ",",
            _trait("Kimberley Process", v.kp),
            ",",
            _trait("System of Warranties", v.sow),
            ",",
            _trait("RJC", v.rjc),
            ",",
            _trait("Grading", v.grading),
            ",",
            _trait("Natural or lab-grown", v.finding),
            ",",
            _trait("Parent stone", v.stone.parent == 0 ? "None" : Ascii32.toString(bytes32(v.stone.parent))),
            "]"
        );
        return attrs;
    }

    function _card(View memory v) private pure returns (string memory) {
        string memory banner = v.stone.labGrown
            ? '<rect x="0" y="0" width="360" height="36" fill="#b00020"/><text x="180" y="24" class="w">LABORATORY-GROWN</text>'
            : "";
        if (v.stone.flag != IDiamondRegistry.Flag.None) {
            banner = string.concat(
                banner, '<rect x="0" y="444" width="360" height="36" fill="#b00020"/><text x="180" y="468" class="w">',
                v.status, "</text>"
            );
        }
        return string.concat(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 480" width="360" height="480">',
            "<style>text{font-family:Helvetica,Arial,sans-serif;text-anchor:middle;fill:#1b2a3a}.w{fill:#fff;font-weight:bold;font-size:16px}.b{font-size:22px;font-weight:bold}.s{font-size:13px}</style>",
            '<rect width="360" height="480" rx="16" fill="#f4f7fb"/>',
            '<polygon points="180,52 236,92 180,180 124,92" fill="#cfe8ff" stroke="#1b2a3a" stroke-width="3"/>',
            '<polyline points="124,92 236,92" fill="none" stroke="#1b2a3a" stroke-width="2"/>',
            '<text x="180" y="222" class="b">', _xml(v.stoneId), "</text>",
            string.concat(
                '<text x="180" y="250" class="s">', v.carat, " ct ", v.kind, " - ", v.status, "</text>",
                '<text x="180" y="272" class="s">', _xml(v.mine), ", ", v.country, "</text>",
                '<text x="180" y="294" class="s">', v.provenance, "</text>",
                '<text x="180" y="316" class="s">', v.finding, "</text>"
            ),
            string.concat(
                '<text x="180" y="346" class="s">KP: ', v.kp, " (", _xml(v.certificate), ")</text>",
                '<text x="180" y="368" class="s">System of Warranties: ', v.sow, "</text>",
                '<text x="180" y="390" class="s">RJC: ', v.rjc, "</text>"
            ),
            banner,
            "</svg>"
        );
    }

    function _trait(string memory traitType, string memory value) private pure returns (string memory) {
        return string.concat('{"trait_type":"', traitType, '","value":"', _json(value), '"}');
    }

    function _number(string memory traitType, string memory value) private pure returns (string memory) {
        return string.concat('{"trait_type":"', traitType, '","display_type":"number","value":', value, "}");
    }

    function _status(IDiamondRegistry.Stone memory s) private pure returns (string memory) {
        if (s.flag == IDiamondRegistry.Flag.Stolen) return "REPORTED STOLEN";
        if (s.flag == IDiamondRegistry.Flag.Lost) return "REPORTED LOST";
        if (s.status == IDiamondRegistry.Status.Split) return "Split into polished stones";
        if (s.status == IDiamondRegistry.Status.Retailed) return "Sold at retail";
        return "In the trade";
    }

    /// @dev Centicarats as a decimal with two places ("1.05").
    function _carat(uint256 centicarats) private pure returns (string memory) {
        uint256 cents = centicarats % 100;
        return string.concat((centicarats / 100).toString(), ".", cents < 10 ? "0" : "", cents.toString());
    }

    /// @dev `text` (printable ASCII, as the registry stores) as the inside of a JSON string.
    function _json(string memory text) private pure returns (string memory) {
        return _escape(text, false);
    }

    /// @dev `text` (printable ASCII) as XML character data.
    function _xml(string memory text) private pure returns (string memory) {
        return _escape(text, true);
    }

    function _escape(string memory text, bool xml) private pure returns (string memory) {
        bytes memory raw = bytes(text);
        uint256 length = 0;
        for (uint256 i; i < raw.length; ++i) {
            uint256 replaced = bytes(_replacement(raw[i], xml)).length;
            length += replaced == 0 ? 1 : replaced;
        }
        bytes memory out = new bytes(length);
        uint256 at = 0;
        for (uint256 i; i < raw.length; ++i) {
            bytes memory replacement = bytes(_replacement(raw[i], xml));
            if (replacement.length == 0) {
                out[at++] = raw[i];
            } else {
                for (uint256 j; j < replacement.length; ++j) {
                    out[at++] = replacement[j];
                }
            }
        }
        return string(out);
    }

    /// @dev What `c` becomes in JSON or XML text; empty when it stays as it is.
    function _replacement(bytes1 c, bool xml) private pure returns (string memory) {
        if (xml) {
            if (c == "&") return "&amp;";
            if (c == "<") return "&lt;";
            if (c == ">") return "&gt;";
        } else if (c == '"' || c == "\\") {
            return c == '"' ? '\\"' : "\\\\";
        }
        return "";
    }
}
