// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGradingBook} from "../interfaces/IGradingBook.sol";
import {Ascii32} from "./libraries/Ascii32.sol";

/// @title GradingBook: the registry's book of grading reports
/// @notice Deployed by the registry, which alone records here, after checking that the grading
/// lab holds the stone. Kept apart from the registry so that the registry stays under the
/// EIP-170 code size limit.
contract GradingBook is IGradingBook {
    /// @notice The registry this book belongs to (its deployer).
    address public immutable registry;

    mapping(uint256 tokenId => GradingReport[] reports) private _reports;
    mapping(address lab => mapping(bytes32 reportNumber => bool issued)) private _issued;

    constructor() {
        registry = msg.sender;
    }

    /// @inheritdoc IGradingBook
    function record(uint256 tokenId, address lab, GradingInput calldata report) external {
        if (msg.sender != registry) revert NotRegistry(msg.sender);
        if (
            report.centicarats == 0 || !Ascii32.isText(report.reportNumber) || !Ascii32.isText(report.colour)
                || !Ascii32.isText(report.clarity) || !Ascii32.isText(report.cut)
        ) revert InvalidReport(report.reportNumber);
        if (_issued[lab][report.reportNumber]) revert ReportExists(lab, report.reportNumber);
        _issued[lab][report.reportNumber] = true;
        _reports[tokenId].push(GradingReport({report: report, lab: lab, issuedAt: uint40(block.timestamp)}));
        emit StoneGraded(tokenId, lab, report.reportNumber, report);
    }

    /// @inheritdoc IGradingBook
    function current(uint256 tokenId) external view returns (uint256 count, bool labGrown) {
        GradingReport[] storage reports = _reports[tokenId];
        count = reports.length;
        labGrown = count != 0 && reports[count - 1].report.labGrown;
    }

    /// @inheritdoc IGradingBook
    function gradingReports(uint256 tokenId, uint256 offset, uint256 limit)
        external
        view
        returns (GradingReport[] memory page)
    {
        GradingReport[] storage reports = _reports[tokenId];
        uint256 length = reports.length;
        uint256 start = offset < length ? offset : length;
        uint256 end = limit < length - start ? start + limit : length;
        page = new GradingReport[](end - start);
        for (uint256 i; i < page.length; ++i) {
            page[i] = reports[start + i];
        }
    }
}
