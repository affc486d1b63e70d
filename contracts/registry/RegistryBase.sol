// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "solady/tokens/ERC721.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IDiamondRegistry} from "../../interfaces/IDiamondRegistry.sol";
import {Ascii32} from "../libraries/Ascii32.sol";
import {ParticipantAux} from "../libraries/ParticipantAux.sol";
import {StoneRecord} from "../libraries/StoneRecord.sol";

/// @title RegistryBase: the storage and helpers every part of the registry shares
/// @dev Token records live in Solady's per-token extra data (see StoneRecord) and participant
/// profiles in its per-account aux (see ParticipantAux). What is shared by many stones is here.
abstract contract RegistryBase is ERC721, Ownable2Step, Pausable, IDiamondRegistry {
    using ParticipantAux for uint224;

    /// @dev One registration batch (or split). Three slots; the third only when needed.
    struct BatchRecord {
        address registrant;
        uint40 registeredAt;
        uint24 productionDay;
        bytes2 country;
        Kind kind;
        bytes32 mine;
        uint32 certificate;
        // For a split: an SSTORE2 blob of [parent id, child ids...], ~10x cheaper than a storage array.
        address lineage;
    }

    /// @dev Indexed from 1; zero means "no batch".
    mapping(uint32 => BatchRecord) internal _batches;
    Totals internal _totals;

    constructor(address admin) Ownable(admin) {}

    /*//////////////////////////////////////////////////////////////
                               STONE RECORDS
    //////////////////////////////////////////////////////////////*/

    function _record(uint256 tokenId) internal view returns (StoneRecord.Record memory) {
        if (!_exists(tokenId)) revert UnknownStone(tokenId);
        return StoneRecord.unpack(_getExtraData(tokenId));
    }

    function _storeRecord(uint256 tokenId, StoneRecord.Record memory r) internal {
        _setExtraData(tokenId, StoneRecord.pack(r));
    }

    /// @dev A stone that may still change: not split, not flagged.
    function _requireActive(uint256 tokenId, StoneRecord.Record memory r) internal pure {
        if (r.status == Status.Split) revert StoneRetired(tokenId);
        if (r.flag != Flag.None) revert StoneIsFlagged(tokenId, r.flag);
    }

    function _kindOf(StoneRecord.Record memory r) internal view returns (Kind) {
        return _batches[r.batch].kind;
    }

    /// @dev Opens a batch; the caller fills in what its kind of batch has.
    function _newBatch(Kind kind) internal returns (uint32 batchId, BatchRecord storage b) {
        batchId = ++_totals.batches;
        b = _batches[batchId];
        b.registrant = msg.sender;
        b.registeredAt = uint40(block.timestamp);
        b.kind = kind;
    }

    /// @dev The first check of a registration or split, before any other work.
    function _requireBatchShape(uint256[] calldata tokenIds, uint32[] calldata centicarats) internal pure {
        uint256 n = tokenIds.length;
        if (n > MAX_BATCH) revert BatchTooLarge(n, MAX_BATCH);
        if (n == 0) revert EmptyBatch();
        if (centicarats.length != n) revert LengthMismatch(n, centicarats.length);
    }

    /// @dev Mints a batch's stones to `to`, each with its weight packed into its ownership slot.
    /// Checks every stone ID and weight; returns the batch's total weight.
    function _mintStones(address to, uint32 batchId, uint256[] calldata tokenIds, uint32[] calldata centicarats)
        internal
        returns (uint64 total)
    {
        uint256 n = tokenIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 tokenId = tokenIds[i];
            uint256 weight = centicarats[i];
            if (!Ascii32.isStoneId(tokenId)) revert InvalidStoneId(tokenId);
            if (weight == 0 || weight > StoneRecord.MAX_CENTICARATS) revert InvalidWeight(tokenId, weight);
            if (_exists(tokenId)) revert StoneAlreadyRegistered(tokenId);
            _mintAndSetExtraDataUnchecked(to, tokenId, StoneRecord.fresh(weight, batchId));
            total += uint64(weight);
        }
        _totals.stones += uint64(n);
    }

    /// @notice The most stones one registration or split accepts: with 32-character IDs the
    /// largest batch stays under EIP-7825's 16,777,216-gas cap (measured in `make bench`).
    uint256 public constant MAX_BATCH = 600;

    /*//////////////////////////////////////////////////////////////
                               PARTICIPANTS
    //////////////////////////////////////////////////////////////*/

    function _rolesOf(address account) internal view returns (uint8) {
        return _getAux(account).roles();
    }

    function _requireRole(address account, uint8 role) internal view {
        if (_rolesOf(account) & role == 0) revert MissingRole(account, role);
    }

    function _requireAccredited(address account) internal view {
        if (_rolesOf(account) == 0) revert NotAccredited(account);
    }

    function _requireCountry(bytes2 country) internal pure {
        if (!ParticipantAux.isCountryCode(country)) revert InvalidCountry(country);
    }

    /// @notice Disabled: the registry always needs an admin (to accredit participants and clear
    /// flags). Hand the role over with `transferOwnership` and `acceptOwnership` instead.
    function renounceOwnership() public view override onlyOwner {
        revert AdminRequired();
    }

    /*//////////////////////////////////////////////////////////////
                                 ERC-165
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId)
        public
        view
        virtual
        override
        returns (bool)
    {
        return interfaceId == 0x49064906 // ERC-4906 metadata updates
            || ERC721.supportsInterface(interfaceId);
    }
}
