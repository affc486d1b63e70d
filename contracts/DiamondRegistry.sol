// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondRegistry} from "../interfaces/IDiamondRegistry.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {SSTORE2} from "solady/utils/SSTORE2.sol";

import {IDiamondRenderer} from "../interfaces/IDiamondRenderer.sol";
import {IGradingBook} from "../interfaces/IGradingBook.sol";
import {RegistryBase} from "./registry/RegistryBase.sol";
import {Custody} from "./registry/Custody.sol";
import {AccountAux, AccountWord} from "./libraries/AccountAux.sol";
import {Ascii32} from "./libraries/Ascii32.sol";
import {Countries} from "./libraries/Countries.sol";
import {StoneRecord, StoneWord} from "./libraries/StoneRecord.sol";

/// @title DiamondRegistry: an open, immutable registry of diamonds from mine to consumer (v2)
/// @notice One ERC-721 token per stone, its id the stone ID. Producers register their mine output
/// in batches under their prefix, KP authorities record certificates, participants move stones
/// with a custody record for every change of holder, manufacturers split rough into polished
/// stones or enter pre-registry stones with a declared origin, labs grade the stones they hold,
/// holders (or the admin, on a report) flag theft or loss. Not upgradeable: no one, including its
/// admin, can rewrite a record once it is made.
contract DiamondRegistry is Custody {
    /// @notice The most children one split accepts: with 32-character IDs the largest split stays
    /// under EIP-7825's 16,777,216-gas cap (measured in `make bench`).
    uint256 public constant MAX_SPLIT = 450;

    IDiamondRenderer private immutable _renderer;

    /// @dev A split rough stone's split batch, where its children are listed.
    mapping(uint256 parentId => uint32 splitBatch) private _splitBatchOf;

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
    function register(
        BatchInput calldata input,
        uint256[] calldata tokenIds,
        uint32[] calldata centicarats,
        string[] calldata descriptions
    ) external whenNotPaused returns (uint32 batchId) {
        _requireBatchShape(tokenIds, centicarats, descriptions, MAX_BATCH);
        AccountWord producer = _requireRole(msg.sender, AccountAux.PRODUCER);
        // Origin is the producer's own accredited country, and the stones stay in it.
        uint256 country = producer.country();
        if (Countries.position(input.country) != country) {
            revert OriginCountryMismatch(input.country, Countries.code(country));
        }
        AccountWord recipient = input.to == msg.sender ? producer : _accountWord(input.to);
        if (recipient.roles() == 0) revert NotAccredited(input.to);
        if (recipient.country() != country) revert RecipientCountryMismatch(input.to, input.country);
        if (!Ascii32.isText(input.mine)) revert InvalidMine(input.mine);
        if (uint256(input.productionDay) * 1 days > block.timestamp) revert ProductionDayInFuture(input.productionDay);

        BatchRecord storage b;
        (batchId, b) = _newBatch(Origin.Mine);
        b.productionDay = input.productionDay;
        b.country = input.country;
        b.labGrown = input.labGrown;
        b.mine = input.mine;
        // Laboratory-grown rough is outside the Kimberley Process: it has no jurisdiction to leave.
        StoneWord base = StoneRecord.fresh(batchId, input.labGrown ? 0 : country, true, recipient.rjcCurrent(), block.number);
        uint64 total = _mintStones(input.to, base, tokenIds, centicarats);
        _totals.centicarats += total;
        if (input.certificate != 0) {
            // Only a certificate's exporter draws from it, for stones it keeps to export.
            if (input.to != msg.sender) revert CertificateMismatch(input.certificate, msg.sender, input.to);
            if (input.labGrown) revert NotRough(tokenIds[0]);
            b.certificate = _kp.drawForBatch(input.country, input.certificate, msg.sender, batchId, total);
        }
        _describe(tokenIds, descriptions, msg.sender);
        emit BatchRegistered(
            batchId,
            msg.sender,
            Origin.Mine,
            input.to,
            input.mine,
            input.country,
            input.productionDay,
            input.labGrown,
            b.certificate,
            tokenIds.length,
            total
        );
    }

    /// @inheritdoc IDiamondRegistry
    function declare(
        DeclarationInput calldata input,
        uint256[] calldata tokenIds,
        uint32[] calldata centicarats,
        string[] calldata descriptions
    ) external whenNotPaused returns (uint32 batchId) {
        _requireBatchShape(tokenIds, centicarats, descriptions, MAX_BATCH);
        AccountWord manufacturer = _requireRole(msg.sender, AccountAux.MANUFACTURER);
        if (input.country != 0 && Countries.position(input.country) == 0) revert InvalidCountry(input.country);
        if (!Ascii32.isText(input.mine)) revert InvalidMine(input.mine);

        BatchRecord storage b;
        (batchId, b) = _newBatch(Origin.Declared);
        b.country = input.country;
        b.labGrown = input.labGrown;
        b.mine = input.mine;
        StoneWord base = StoneRecord.fresh(batchId, 0, true, manufacturer.rjcCurrent(), block.number);
        uint64 total = _mintStones(msg.sender, base, tokenIds, centicarats);
        _totals.centicarats += total;
        _describe(tokenIds, descriptions, msg.sender);
        emit BatchRegistered(
            batchId, msg.sender, Origin.Declared, msg.sender, input.mine, input.country, 0, input.labGrown, 0,
            tokenIds.length, total
        );
    }

    /// @inheritdoc IDiamondRegistry
    function describe(uint256[] calldata tokenIds, string[] calldata descriptions) external whenNotPaused {
        if (descriptions.length != tokenIds.length) revert LengthMismatch(tokenIds.length, descriptions.length);
        for (uint256 i; i < tokenIds.length; ++i) {
            if (_ownerOf(tokenIds[i]) != msg.sender) revert NotHolder(msg.sender, tokenIds[i]);
        }
        _describe(tokenIds, descriptions, msg.sender);
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
            StoneWord word = _stoneWord(tokenIds[i]);
            uint32 batchId = word.batch();
            if (batchId != 0) {
                (found[n], batches[n], centicarats[n]) = (i, batchId, word.centicarats());
                ++n;
            }
        }
        // Cut the arrays to the stones found: only ever shortens them.
        assembly ("memory-safe") {
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
            registeredBlock: b.registeredBlock,
            productionDay: b.productionDay,
            country: b.country,
            origin: b.origin,
            labGrown: b.labGrown,
            mine: b.mine,
            certificate: b.certificate,
            parent: b.lineage == address(0) ? 0 : _lineageWord(b.lineage, 0)
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
    function split(
        uint256 parentId,
        uint256[] calldata childIds,
        uint32[] calldata centicarats,
        string[] calldata descriptions
    ) external whenNotPaused returns (uint32 batchId) {
        _requireBatchShape(childIds, centicarats, descriptions, MAX_SPLIT);
        AccountWord manufacturer = _requireRole(msg.sender, AccountAux.MANUFACTURER);
        if (_ownerOf(parentId) != msg.sender) revert NotHolder(msg.sender, parentId);
        StoneWord parent = _stoneWord(parentId);
        _requireActive(parentId, parent);
        if (parent.status() != Status.InTrade) revert NotInTrade(parentId);
        BatchRecord storage origin = _batches[parent.batch()];
        if (origin.origin != Origin.Mine) revert NotRough(parentId);

        BatchRecord storage b;
        (batchId, b) = _newBatch(Origin.Split);
        b.labGrown = origin.labGrown;
        // The children carry the parent's assurances, and the manufacturer's holding of the parent.
        bool rjc = parent.rjc() && _rjcHeldSince(msg.sender, manufacturer, parent.lastRecordBlock());
        StoneWord base = StoneRecord.fresh(batchId, 0, parent.warranted(), rjc, block.number);
        uint64 total = _mintStones(msg.sender, base, childIds, centicarats);
        if (total > parent.centicarats()) {
            revert ChildrenOutweighParent(parentId, parent.centicarats(), total);
        }
        // The parent's last record sits in the manufacturer's chain; its value now anchors the
        // parent's history for good, whatever the manufacturer receives later.
        uint256 anchor = (uint256(manufacturer.chain()) << 32) | manufacturer.lastBlock();
        b.lineage = SSTORE2.write(abi.encodePacked(parentId, anchor, childIds));
        _splitBatchOf[parentId] = batchId;
        _setStoneWord(parentId, parent.withStatus(Status.Split));
        _describe(childIds, descriptions, msg.sender);
        emit StoneSplit(parentId, batchId, msg.sender, childIds);
        emit MetadataUpdate(parentId);
    }

    /// @inheritdoc IDiamondRegistry
    function parentOf(uint256 tokenId) public view returns (uint256) {
        address lineage = _batches[_word(tokenId).batch()].lineage;
        return lineage == address(0) ? 0 : _lineageWord(lineage, 0);
    }

    /// @inheritdoc IDiamondRegistry
    function childrenOf(uint256 tokenId) external view returns (uint256[] memory children) {
        _word(tokenId);
        uint32 splitBatch = _splitBatchOf[tokenId];
        if (splitBatch == 0) return children;
        bytes memory ids = SSTORE2.read(_batches[splitBatch].lineage, 64);
        children = new uint256[](ids.length / 32);
        for (uint256 i; i < children.length; ++i) {
            uint256 id;
            assembly ("memory-safe") {
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

    /// @inheritdoc IDiamondRegistry
    function splitAnchor(uint256 parentId) external view returns (uint128 chain, uint32 lastBlock) {
        _word(parentId);
        uint32 splitBatch = _splitBatchOf[parentId];
        if (splitBatch == 0) return (0, 0);
        uint256 anchor = _lineageWord(_batches[splitBatch].lineage, 32);
        return (uint128(anchor >> 32), uint32(anchor));
    }

    /// @dev The 32-byte word at `offset` of a split's lineage blob.
    function _lineageWord(address lineage, uint256 offset) private view returns (uint256 word) {
        bytes memory head = SSTORE2.read(lineage, offset, offset + 32);
        assembly ("memory-safe") {
            word := mload(add(head, 0x20))
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 GRADING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDiamondRegistry
    function grade(uint256 tokenId, IGradingBook.GradingInput calldata report) external whenNotPaused {
        _requireRole(msg.sender, AccountAux.LAB);
        // Only the lab the stone was sent to grades it: no third party relabels someone's stone.
        if (_ownerOf(tokenId) != msg.sender) revert NotHolder(msg.sender, tokenId);
        if (_stoneWord(tokenId).status() == Status.Split) revert StoneRetired(tokenId);
        _grading.record(tokenId, msg.sender, report);
        emit MetadataUpdate(tokenId);
    }

    /*//////////////////////////////////////////////////////////////
                              FLAGS AND PAUSE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDiamondRegistry
    function flag(uint256 tokenId, Flag reason, bytes32 document) external {
        if (reason == Flag.None) revert InvalidFlag();
        if (_ownerOf(tokenId) != msg.sender) {
            // The admin reports a stone whose thief holds the key; only on a document.
            if (msg.sender != owner()) revert NotHolder(msg.sender, tokenId);
            if (document == 0) revert DocumentRequired();
        }
        StoneWord word = _word(tokenId);
        if (word.status() == Status.Split) revert StoneRetired(tokenId);
        Flag current = word.flag();
        if (current != Flag.None) revert AlreadyFlagged(tokenId, uint8(current));
        _setStoneWord(tokenId, word.withFlag(reason));
        emit StoneFlagged(tokenId, msg.sender, reason, document);
        emit MetadataUpdate(tokenId);
    }

    /// @inheritdoc IDiamondRegistry
    function clearFlag(uint256 tokenId, bytes32 document) external onlyOwner {
        StoneWord word = _word(tokenId);
        if (word.flag() == Flag.None) revert NotFlagged(tokenId);
        if (document == 0) revert DocumentRequired();
        _setStoneWord(tokenId, word.withFlag(Flag.None));
        emit FlagCleared(tokenId, msg.sender, document);
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
        StoneWord word = _word(tokenId);
        StoneRecord.Record memory r = word.unpack();
        BatchRecord storage b = _batches[r.batch];
        s.tokenId = tokenId;
        s.stoneId = Ascii32.toString(bytes32(tokenId));
        s.holder = _ownerOf(tokenId);
        s.centicarats = r.centicarats;
        s.kind = _kind(b.origin);
        s.origin = b.origin;
        s.status = r.status;
        s.flag = r.flag;
        s.batch = r.batch;
        s.jurisdiction = Countries.code(r.jurisdiction);
        s.warranted = r.warranted;
        s.rjcCertified = r.rjc;
        s.hasRecords = r.hasRecords;
        s.lastRecordBlock = r.lastRecordBlock;
        s.certificate = _certificateOf(tokenId);
        s.parent = parentOf(tokenId);
        bool foundLabGrown;
        (s.gradingCount, foundLabGrown) = _grading.current(tokenId);
        s.labGrown = b.labGrown || foundLabGrown;
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
        _word(tokenId);
        return _renderer.tokenURI(this, tokenId);
    }

    /// @dev The KP certificate in force for a stone: its latest crossing's, else its batch's,
    /// else (for a polished stone) its parent's.
    function _certificateOf(uint256 tokenId) private view returns (uint32 id) {
        id = _kp.crossingCertificate(tokenId);
        if (id != 0) return id;
        BatchRecord storage b = _batches[_stoneWord(tokenId).batch()];
        if (b.lineage == address(0)) return b.certificate;
        return _certificateOf(_lineageWord(b.lineage, 0));
    }
}
