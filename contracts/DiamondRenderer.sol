// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IDiamondRegistry} from "../interfaces/IDiamondRegistry.sol";
import {IDiamondRenderer} from "../interfaces/IDiamondRenderer.sol";
import {Ascii32} from "./libraries/Ascii32.sol";

/// @title DiamondRenderer: a stone's ERC-721 metadata, built on chain from the registry's records
/// @notice Returns a `data:application/json;base64,` URI in the conventions Etherscan, Blockscout
/// and OpenSea render: `name`, `description`, an `image` that is an SVG card (itself a `data:`
/// URI, so no server is needed) and `attributes` as `trait_type`/`value` pairs. A stone graded
/// laboratory-grown says so in its name, description, card and attributes.
contract DiamondRenderer is IDiamondRenderer {
    using Strings for uint256;

    /// @dev What the metadata shows, gathered once from the registry's views.
    struct View {
        IDiamondRegistry.Stone stone;
        IDiamondRegistry.Batch origin;
        IDiamondRegistry.GradingReport[] reports;
        string stoneId;
        string carat;
        string status;
        string kind;
        string mine;
        string grading;
        string finding;
        string certificate;
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
        v.reports = registry.gradingReports(tokenId);
        v.stoneId = v.stone.stoneId;
        v.carat = _carat(v.stone.centicarats);
        v.kind = v.stone.kind == IDiamondRegistry.Kind.Rough ? "Rough" : "Polished";
        v.status = _status(v.stone);
        v.mine = Ascii32.toString(v.origin.mine);
        v.certificate = v.stone.certificate == bytes32(0) ? "None" : Ascii32.toString(v.stone.certificate);
        if (v.reports.length == 0) {
            v.grading = "Not graded";
            v.finding = "Not graded";
        } else {
            IDiamondRegistry.GradingInput memory r = v.reports[v.reports.length - 1].report;
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
            v.finding = r.labGrown ? "Laboratory-grown" : "Natural";
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
            Ascii32.toString(bytes32(v.origin.country)),
            ", recorded on the DiamondTrace registry with ",
            uint256(v.stone.custodyCount).toString(),
            " custody records. Status: ",
            v.status,
            "."
        );
        if (v.stone.labGrown) what = string.concat("LABORATORY-GROWN: a grading lab found this stone laboratory-grown. ", what);
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
            _trait("Mine", v.mine),
            ",",
            _trait("Country of origin", Ascii32.toString(bytes32(v.origin.country))),
            ",",
            _trait("KP certificate", v.certificate),
            ","
        );
        attrs = string.concat(
            attrs,
            _trait("Grading", v.grading),
            ",",
            _trait("Natural or lab-grown", v.finding),
            ",",
            _number("Custody records", uint256(v.stone.custodyCount).toString()),
            ",",
            _trait("Parent stone", v.stone.parent == 0 ? "None (registered at source)" : Ascii32.toString(bytes32(v.stone.parent))),
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
            "<style>text{font-family:Helvetica,Arial,sans-serif;text-anchor:middle;fill:#1b2a3a}.w{fill:#fff;font-weight:bold;font-size:16px}.b{font-size:22px;font-weight:bold}.s{font-size:14px}</style>",
            '<rect width="360" height="480" rx="16" fill="#f4f7fb"/>',
            '<polygon points="180,70 250,120 180,230 110,120" fill="#cfe8ff" stroke="#1b2a3a" stroke-width="3"/>',
            '<polyline points="110,120 250,120" fill="none" stroke="#1b2a3a" stroke-width="2"/>',
            '<text x="180" y="280" class="b">', _xml(v.stoneId), "</text>",
            string.concat(
                '<text x="180" y="312" class="s">', v.carat, " ct ", v.kind, " - ", v.status, "</text>",
                '<text x="180" y="338" class="s">', _xml(v.mine), ", ", Ascii32.toString(bytes32(v.origin.country)), "</text>",
                '<text x="180" y="364" class="s">KP: ', _xml(v.certificate), "</text>",
                '<text x="180" y="390" class="s">', v.finding, "</text>",
                '<text x="180" y="416" class="s">Custody records: ', uint256(v.stone.custodyCount).toString(), "</text>"
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
