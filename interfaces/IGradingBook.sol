// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDiamondTraceErrors} from "./IDiamondTraceErrors.sol";

/// @title IGradingBook: the registry's book of grading reports
/// @notice Labs grade the stones they hold through the registry's `grade`, which checks who may
/// grade and passes the report here; the book keeps every report (newer ones supersede older
/// ones, none is erased) and serves them a page at a time, so that no number of reports makes a
/// stone's record unreadable. Deployed by the registry, which alone may record.
interface IGradingBook is IDiamondTraceErrors {
    /// @notice A laboratory's grading report as the lab submits it.
    /// @param reportNumber the lab's report number, unique per lab
    /// @param centicarats the graded weight
    /// @param colour e.g. "D" .. "Z" or "Fancy Yellow"
    /// @param clarity e.g. "FL", "IF", "VVS1" .. "I3"
    /// @param cut e.g. "Excellent" .. "Poor"
    /// @param labGrown true when the lab found the stone laboratory-grown
    /// @param document keccak-256 of the report document
    struct GradingInput {
        bytes32 reportNumber;
        uint32 centicarats;
        bytes8 colour;
        bytes8 clarity;
        bytes16 cut;
        bool labGrown;
        bytes32 document;
    }

    /// @notice A recorded grading report.
    struct GradingReport {
        GradingInput report;
        address lab;
        uint40 issuedAt;
    }

    /// @notice Lab `lab`, holding stone `tokenId`, graded it with report `reportNumber`.
    event StoneGraded(uint256 indexed tokenId, address indexed lab, bytes32 indexed reportNumber, GradingInput report);

    /// @notice Records `lab`'s report on stone `tokenId`. Registry only (it checks the lab holds the stone).
    function record(uint256 tokenId, address lab, GradingInput calldata report) external;

    /// @notice How many reports stone `tokenId` has, and whether the one in force (the newest)
    /// found it laboratory-grown.
    function current(uint256 tokenId) external view returns (uint256 count, bool labGrown);

    /// @notice Up to `limit` reports of stone `tokenId`, oldest first, from position `offset`;
    /// the last report of all is the one in force.
    function gradingReports(uint256 tokenId, uint256 offset, uint256 limit)
        external
        view
        returns (GradingReport[] memory);

    /// @notice The registry this book belongs to.
    function registry() external view returns (address);
}
