// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondRegistry} from "../interfaces/IDiamondRegistry.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {SSTORE2} from "solady/utils/SSTORE2.sol";

import {IDiamondRenderer} from "../interfaces/IDiamondRenderer.sol";
import {RegistryBase} from "./registry/RegistryBase.sol";
import {Custody} from "./registry/Custody.sol";
import {ParticipantAux} from "./libraries/ParticipantAux.sol";
import {Ascii32} from "./libraries/Ascii32.sol";
import {StoneRecord} from "./libraries/StoneRecord.sol";

/// @title DiamondRegistry: an open, immutable registry of diamonds from mine to consumer
/// @notice One ERC-721 token per stone, its id the producer's stone ID. Producers register their
/// mine output in batches, KP authorities record certificates, participants move stones with a
/// custody record for every change of holder, manufacturers split rough into polished stones,
/// labs grade them, holders flag theft or loss. Not upgradeable: no one, including its admin,
/// can rewrite a record once it is made.
contract DiamondRegistry is Custody {
    IDiamondRenderer private immutable _renderer;

    mapping(uint256 => GradingReport[]) private _reports;
    mapping(address => mapping(bytes32 => bool)) private _reportIssued;
    /// @dev A split rough stone's split batch, where its children are listed.
    mapping(uint256 => uint32) private _splitBatchOf;

    /// @param admin the account that accredits participants, pauses and clears flags; it hands the
    /// role over in two steps (`transferOwnership`, then `acceptOwnership` by the new admin)
    /// @param renderer_ the contract that renders `tokenURI`
    constructor(address admin, IDiamondRenderer renderer_) RegistryBase(admin) {
        _renderer = renderer_;
    }

    /*//////////////////////////////////////////////////////////////
                               REGISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDiamondRegistry
    function register(BatchInput calldata input, uint256[] calldata tokenIds, uint32[] calldata centicarats)
        external
        whenNotPaused
        returns (uint32 batchId)
    {
        _requireBatchShape(tokenIds, centicarats);
        _requireRole(msg.sender, ParticipantAux.PRODUCER);
        _requireAccredited(input.to);
        _requireCountry(input.country);
        if (!Ascii32.isText(input.mine)) revert InvalidMine(input.mine);
        if (uint256(input.productionDay) * 1 days > block.timestamp) revert ProductionDayInFuture(input.productionDay);

        BatchRecord storage b;
        (batchId, b) = _newBatch(input.kind);
        b.productionDay = input.productionDay;
        b.country = input.country;
        b.mine = input.mine;
        uint64 total = _mintStones(input.to, batchId, tokenIds, centicarats);
        _totals.centicarats += total;

        if (input.certificate != bytes32(0)) {
            if (input.kind != Kind.Rough) revert NotRough(tokenIds[0]);
            (uint32 index, CertificateRecord storage c) = _usableCertificate(input.certificate);
            if (c.exporter != input.to) revert CertificateMismatch(input.certificate, input.to, c.importer);
            _draw(c, total);
            b.certificate = index;
        }
        emit BatchRegistered(batchId, msg.sender, input.certificate, input, tokenIds.length, total);
    }

    /// @inheritdoc IDiamondRegistry
    function describe(uint256[] calldata tokenIds, string[] calldata descriptions) external {
        if (descriptions.length != tokenIds.length) revert LengthMismatch(tokenIds.length, descriptions.length);
        for (uint256 i; i < tokenIds.length; ++i) {
            if (_ownerOf(tokenIds[i]) != msg.sender) revert NotHolder(msg.sender, tokenIds[i]);
            emit StoneDescribed(tokenIds[i], msg.sender, descriptions[i]);
        }
    }

    /// @inheritdoc IDiamondRegistry
    function registrations(uint256[] calldata tokenIds)
        external
        view
        returns (uint256[] memory found, uint32[] memory batches, uint32[] memory centicarats)
    {
        found = new uint256[](tokenIds.length);
        batches = new uint32[](tokenIds.length);
        centicarats = new uint32[](tokenIds.length);
        uint256 n;
        for (uint256 i; i < tokenIds.length; ++i) {
            uint96 word = _getExtraData(tokenIds[i]);
            uint32 batchId = StoneRecord.batch(word);
            if (batchId != 0) {
                (found[n], batches[n], centicarats[n]) = (i, batchId, StoneRecord.centicarats(word));
                ++n;
            }
        }
        // Cut the arrays to the stones found: only ever shortens them.
        /// @solidity memory-safe-assembly
        assembly {
            mstore(found, n)
            mstore(batches, n)
            mstore(centicarats, n)
        }
    }

    /// @inheritdoc IDiamondRegistry
    function MAX_CENTICARATS() external pure returns (uint256) {
        return StoneRecord.MAX_CENTICARATS;
    }

    /// @inheritdoc IDiamondRegistry
    function batch(uint32 batchId) external view returns (Batch memory) {
        BatchRecord storage b = _batches[batchId];
        return Batch({
            registrant: b.registrant,
            registeredAt: b.registeredAt,
            productionDay: b.productionDay,
            country: b.country,
            kind: b.kind,
            mine: b.mine,
            certificate: _certificateNumber(b.certificate),
            parent: b.lineage == address(0) ? 0 : _parentOfBatch(b)
        });
    }

    /// @inheritdoc IDiamondRegistry
    function tokenIdOf(string calldata stoneId) external pure returns (uint256 tokenId) {
        tokenId = uint256(Ascii32.fromString(stoneId));
        if (!Ascii32.isStoneId(tokenId)) revert InvalidStoneId(tokenId);
    }

    /// @inheritdoc IDiamondRegistry
    function stoneIdOf(uint256 tokenId) external pure returns (string memory) {
        if (!Ascii32.isStoneId(tokenId)) revert InvalidStoneId(tokenId);
        return Ascii32.toString(bytes32(tokenId));
    }

    /*//////////////////////////////////////////////////////////////
                                 LINEAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDiamondRegistry
    function split(uint256 parentId, uint256[] calldata childIds, uint32[] calldata centicarats)
        external
        whenNotPaused
        returns (uint32 batchId)
    {
        _requireBatchShape(childIds, centicarats);
        _requireRole(msg.sender, ParticipantAux.MANUFACTURER);
        if (_ownerOf(parentId) != msg.sender) revert NotHolder(msg.sender, parentId);
        StoneRecord.Record memory parent = _record(parentId);
        _requireActive(parentId, parent);
        if (_kindOf(parent) != Kind.Rough) revert NotRough(parentId);

        BatchRecord storage b;
        (batchId, b) = _newBatch(Kind.Polished);
        uint64 total = _mintStones(msg.sender, batchId, childIds, centicarats);
        if (total > parent.centicarats) revert ChildrenOutweighParent(parentId, parent.centicarats, total);
        b.lineage = SSTORE2.write(abi.encodePacked(parentId, childIds));
        _splitBatchOf[parentId] = batchId;

        parent.status = Status.Split;
        _storeRecord(parentId, parent);
        emit StoneSplit(parentId, batchId, msg.sender, childIds);
        emit MetadataUpdate(parentId);
    }

    /// @inheritdoc IDiamondRegistry
    function parentOf(uint256 tokenId) public view returns (uint256) {
        BatchRecord storage b = _batches[_record(tokenId).batch];
        return b.lineage == address(0) ? 0 : _parentOfBatch(b);
    }

    /// @inheritdoc IDiamondRegistry
    function childrenOf(uint256 tokenId) external view returns (uint256[] memory children) {
        _record(tokenId);
        uint32 splitBatch = _splitBatchOf[tokenId];
        if (splitBatch == 0) return children;
        bytes memory ids = SSTORE2.read(_batches[splitBatch].lineage, 32);
        children = new uint256[](ids.length / 32);
        for (uint256 i; i < children.length; ++i) {
            uint256 id;
            /// @solidity memory-safe-assembly
            assembly {
                id := mload(add(add(ids, 0x20), mul(i, 0x20)))
            }
            children[i] = id;
        }
    }

    /// @inheritdoc IDiamondRegistry
    function isRoot(uint256 tokenId) external view returns (bool) {
        return parentOf(tokenId) == 0;
    }

    /// @inheritdoc IDiamondRegistry
    function rootOf(uint256 tokenId) public view returns (uint256 root) {
        root = tokenId;
        for (uint256 parent = parentOf(root); parent != 0; parent = parentOf(root)) {
            root = parent;
        }
    }

    function _parentOfBatch(BatchRecord storage b) internal view override returns (uint256 parent) {
        bytes memory head = SSTORE2.read(b.lineage, 0, 32);
        /// @solidity memory-safe-assembly
        assembly {
            parent := mload(add(head, 0x20))
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 GRADING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDiamondRegistry
    function grade(uint256 tokenId, GradingInput calldata report) external whenNotPaused {
        _requireRole(msg.sender, ParticipantAux.LAB);
        StoneRecord.Record memory r = _record(tokenId);
        if (r.status == Status.Split) revert StoneRetired(tokenId);
        if (
            report.centicarats == 0 || !Ascii32.isText(report.reportNumber) || !Ascii32.isText(report.colour)
                || !Ascii32.isText(report.clarity) || !Ascii32.isText(report.cut)
        ) revert InvalidReport(report.reportNumber);
        if (_reportIssued[msg.sender][report.reportNumber]) revert ReportExists(msg.sender, report.reportNumber);
        _reportIssued[msg.sender][report.reportNumber] = true;
        _reports[tokenId].push(GradingReport({report: report, lab: msg.sender, issuedAt: uint40(block.timestamp)}));
        emit StoneGraded(tokenId, msg.sender, report.reportNumber, report);
        emit MetadataUpdate(tokenId);
    }

    /// @inheritdoc IDiamondRegistry
    function gradingReports(uint256 tokenId) external view returns (GradingReport[] memory) {
        _record(tokenId);
        return _reports[tokenId];
    }

    /*//////////////////////////////////////////////////////////////
                              FLAGS AND PAUSE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDiamondRegistry
    function flag(uint256 tokenId, Flag reason) external {
        if (reason == Flag.None) revert InvalidFlag();
        if (_ownerOf(tokenId) != msg.sender) revert NotHolder(msg.sender, tokenId);
        StoneRecord.Record memory r = _record(tokenId);
        if (r.status == Status.Split) revert StoneRetired(tokenId);
        if (r.flag != Flag.None) revert AlreadyFlagged(tokenId, r.flag);
        r.flag = reason;
        _storeRecord(tokenId, r);
        emit StoneFlagged(tokenId, msg.sender, reason);
        emit MetadataUpdate(tokenId);
    }

    /// @inheritdoc IDiamondRegistry
    function clearFlag(uint256 tokenId) external onlyOwner {
        StoneRecord.Record memory r = _record(tokenId);
        if (r.flag == Flag.None) revert NotFlagged(tokenId);
        r.flag = Flag.None;
        _storeRecord(tokenId, r);
        emit FlagCleared(tokenId, msg.sender);
        emit MetadataUpdate(tokenId);
    }

    /// @inheritdoc IDiamondRegistry
    function recoverEther() external onlyOwner {
        SafeTransferLib.safeTransferAllETH(msg.sender);
    }

    /// @inheritdoc IDiamondRegistry
    function pause() external onlyOwner {
        _pause();
    }

    /// @inheritdoc IDiamondRegistry
    function unpause() external onlyOwner {
        _unpause();
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDiamondRegistry
    function stone(uint256 tokenId) external view returns (Stone memory s) {
        StoneRecord.Record memory r = _record(tokenId);
        GradingReport[] storage reports = _reports[tokenId];
        s.tokenId = tokenId;
        s.stoneId = Ascii32.toString(bytes32(tokenId));
        s.holder = _ownerOf(tokenId);
        s.centicarats = r.centicarats;
        s.kind = _kindOf(r);
        s.status = r.status;
        s.flag = r.flag;
        s.batch = r.batch;
        s.custodyCount = r.custodyCount;
        s.commitment = r.commitment;
        s.lastAction = r.lastAction;
        s.certificate = _certificateNumber(_certificateOf(tokenId, r));
        s.parent = parentOf(tokenId);
        s.gradingCount = reports.length;
        s.labGrown = reports.length != 0 && reports[reports.length - 1].report.labGrown;
    }

    /// @inheritdoc IDiamondRegistry
    function totals() external view returns (Totals memory) {
        return _totals;
    }

    /// @inheritdoc IDiamondRegistry
    function renderer() external view returns (address) {
        return address(_renderer);
    }

    /// @notice The token collection's name.
    function name() public pure override returns (string memory) {
        return "DiamondTrace";
    }

    /// @notice The token collection's symbol.
    function symbol() public pure override returns (string memory) {
        return "DIAMOND";
    }

    /// @notice The stone's metadata as a `data:application/json;base64,` URI with an on-chain SVG
    /// image, rendered by {renderer} from this registry's records.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _record(tokenId);
        return _renderer.tokenURI(this, tokenId);
    }
}
