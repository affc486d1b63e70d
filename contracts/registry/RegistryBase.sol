// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "solady/tokens/ERC721.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IDiamondRegistry} from "../../interfaces/IDiamondRegistry.sol";
import {IGradingBook} from "../../interfaces/IGradingBook.sol";
import {IKimberleyCertificates} from "../../interfaces/IKimberleyCertificates.sol";
import {GradingBook} from "../GradingBook.sol";
import {KimberleyCertificates} from "../KimberleyCertificates.sol";
import {Ascii32} from "../libraries/Ascii32.sol";
import {AccountAux, AccountWord} from "../libraries/AccountAux.sol";
import {StoneRecord, StoneWord} from "../libraries/StoneRecord.sol";

/// @title RegistryBase: the storage and helpers every part of the registry shares
/// @dev Token records live in Solady's per-token extra data (see StoneRecord) and account
/// profiles and custody chains in its per-account aux (see AccountAux). What is shared by many
/// stones is here. KP certificates and grading reports are kept in two books, contracts this
/// registry deploys and alone may write to (it applies the rules of who may draw or grade).
abstract contract RegistryBase is ERC721, Ownable2Step, Pausable, IDiamondRegistry {
    /// @dev One registration batch, split or declaration. Two slots, a third for a certificate
    /// or a split's lineage.
    struct BatchRecord {
        address registrant;
        uint40 registeredBlock;
        uint24 productionDay;
        bytes2 country;
        Origin origin;
        bool labGrown;
        bytes32 mine;
        uint32 certificate;
        // For a split: an SSTORE2 blob of [parent id, anchor, child ids...] (see DiamondRegistry.split).
        address lineage;
    }

    /// @dev A participant's RJC certification; `sinceBlock` and `expiresAt` share a slot, which a
    /// holder's departure reads when its stone's RJC assurance still stands.
    struct RjcRecord {
        uint32 sinceBlock;
        uint40 expiresAt;
        bytes32 certificate;
    }

    /// @notice The most stones one registration or declaration accepts: with 32-character IDs the
    /// largest batch stays under EIP-7825's 16,777,216-gas cap (measured in `make bench`).
    uint256 public constant MAX_BATCH = 600;
    /// @notice The longest description kept, in bytes.
    uint256 public constant MAX_DESCRIPTION = 500;

    /// @dev Solady's ERC-721 storage layout (solady 0.1.26, src/tokens/ERC721.sol): the batch mint
    /// and the custody transfer read and write its ownership and balance slots directly, so that a
    /// stone's record and both parties' aux cost one read and one write each. The tests check
    /// every such write through Solady's own `ownerOf`, `balanceOf` and approvals.
    uint256 internal constant _SOLADY_SLOT_SEED = 0x7d8825530a5a2e7a << 192;
    /// @dev `keccak256("Transfer(address,address,uint256)")`.
    uint256 internal constant _SOLADY_TRANSFER_EVENT =
        0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef;

    IKimberleyCertificates internal immutable _kp;
    IGradingBook internal immutable _grading;

    /// @dev Indexed from 1; zero means "no batch".
    mapping(uint32 batchId => BatchRecord record) internal _batches;
    Totals internal _totals;
    mapping(address account => string displayName) internal _names;
    mapping(address account => bytes32 prefix) internal _prefixOf;
    /// @dev Who holds each prefix exactly, and every start of every held prefix (itself included):
    /// together they refuse a prefix that starts, or is the start of, another.
    mapping(bytes32 prefix => address holder) internal _prefixHolder;
    mapping(bytes32 start => bool isStart) internal _prefixStarts;
    mapping(address revoked => address successor) internal _successors;
    mapping(address account => RjcRecord certification) internal _rjc;

    constructor(address admin) Ownable(admin) {
        _kp = new KimberleyCertificates();
        _grading = new GradingBook();
    }

    /*//////////////////////////////////////////////////////////////
                               STONE RECORDS
    //////////////////////////////////////////////////////////////*/

    /// @dev A registered stone's word; reverts for any other token id.
    function _word(uint256 tokenId) internal view returns (StoneWord) {
        if (!_exists(tokenId)) revert UnknownStone(tokenId);
        return _stoneWord(tokenId);
    }

    /// @dev The word in a token's ownership slot: zero for a stone never registered.
    function _stoneWord(uint256 tokenId) internal view returns (StoneWord) {
        return StoneRecord.fromBits(_getExtraData(tokenId));
    }

    function _setStoneWord(uint256 tokenId, StoneWord word) internal {
        _setExtraData(tokenId, uint96(word.bits()));
    }

    /// @dev A stone that may still change: not split, not flagged.
    function _requireActive(uint256 tokenId, StoneWord word) internal pure {
        if (!word.isFrozen()) return;
        if (word.status() == Status.Split) revert StoneRetired(tokenId);
        revert StoneIsFlagged(tokenId, uint8(word.flag()));
    }

    function _kindOf(StoneWord word) internal view returns (Kind) {
        return _kind(_batches[word.batch()].origin);
    }

    /// @dev Registered at the mine: rough. Cut or declared (the origins after `Mine`): polished.
    function _kind(Origin origin) internal pure returns (Kind) {
        return origin > Origin.Mine ? Kind.Polished : Kind.Rough;
    }

    /// @dev Opens a batch; the caller fills in what its kind of batch has.
    function _newBatch(Origin origin) internal returns (uint32 batchId, BatchRecord storage b) {
        batchId = ++_totals.batches;
        if (batchId > StoneRecord.MAX_BATCH_ID) revert RegistryFull();
        b = _batches[batchId];
        b.registrant = msg.sender;
        b.registeredBlock = uint40(block.number);
        b.origin = origin;
    }

    /// @dev The first check of a registration, declaration or split, before any other work.
    function _requireBatchShape(
        uint256[] calldata tokenIds,
        uint32[] calldata centicarats,
        string[] calldata descriptions,
        uint256 max
    ) internal pure {
        uint256 n = tokenIds.length;
        if (n > max) revert BatchTooLarge(n, max);
        if (n == 0) revert EmptyBatch();
        if (centicarats.length != n) revert LengthMismatch(n, centicarats.length);
        if (descriptions.length != 0 && descriptions.length != n) revert LengthMismatch(n, descriptions.length);
    }

    /// @dev Mints a batch's stones to `to`, each with `base` and its weight packed into its
    /// ownership slot, and adds them to `to`'s balance in one write. Checks every stone ID (form
    /// and the registrant's prefix) and weight; returns the batch's total weight.
    function _mintStones(address to, StoneWord base, uint256[] calldata tokenIds, uint32[] calldata centicarats)
        internal
        returns (uint64 total)
    {
        bytes32 prefix = _prefixOf[msg.sender];
        if (prefix == 0) revert NoPrefix(msg.sender);
        uint256 mask = Ascii32.mask(prefix);
        uint256 n = tokenIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 tokenId = tokenIds[i];
            uint256 weight = centicarats[i];
            if (!Ascii32.isStoneId(tokenId)) revert InvalidStoneId(tokenId);
            if (tokenId & mask != uint256(prefix)) revert OutsidePrefix(tokenId, prefix);
            if (weight == 0 || weight > StoneRecord.MAX_CENTICARATS) revert InvalidWeight(tokenId, weight);
            uint256 slot = _ownershipSlot(tokenId);
            bool taken;
            assembly ("memory-safe") {
                taken := sload(slot)
                if iszero(taken) {
                    sstore(slot, or(shl(160, or(base, weight)), to))
                    log4(codesize(), 0x00, _SOLADY_TRANSFER_EVENT, 0, to, tokenId)
                }
            }
            if (taken) revert StoneAlreadyRegistered(tokenId);
            total += uint64(weight);
        }
        uint256 balanceSlot = _balanceSlot(to);
        uint256 packed;
        assembly ("memory-safe") {
            packed := sload(balanceSlot)
        }
        if (to == address(0)) revert TransferToZeroAddress();
        if ((packed & _MAX_ACCOUNT_BALANCE) + n > _MAX_ACCOUNT_BALANCE) revert AccountBalanceOverflow();
        assembly ("memory-safe") {
            sstore(balanceSlot, add(packed, n))
        }
        _totals.stones += uint64(n);
    }

    /// @dev Solady's slot of token `id`'s ownership: its owner and 96 bits of extra data.
    function _ownershipSlot(uint256 id) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, id)
            mstore(0x1c, _SOLADY_SLOT_SEED)
            slot := add(id, add(id, keccak256(0x00, 0x20)))
        }
    }

    /// @dev Solady's slot of `account`'s balance (low 32 bits) and aux (high 224 bits).
    function _balanceSlot(address account) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x1c, _SOLADY_SLOT_SEED)
            mstore(0x00, account)
            slot := keccak256(0x0c, 0x1c)
        }
    }

    /// @dev Emits each non-empty description as `by`'s.
    function _describe(uint256[] calldata tokenIds, string[] calldata descriptions, address by) internal {
        for (uint256 i; i < descriptions.length; ++i) {
            uint256 length = bytes(descriptions[i]).length;
            if (length == 0) continue;
            if (length > MAX_DESCRIPTION) revert DescriptionTooLong(tokenIds[i], length, MAX_DESCRIPTION);
            emit StoneDescribed(tokenIds[i], by, descriptions[i]);
        }
    }

    /*//////////////////////////////////////////////////////////////
                               PARTICIPANTS
    //////////////////////////////////////////////////////////////*/

    /// @dev The aux in an account's balance slot: zero for an address never accredited.
    function _accountWord(address account) internal view returns (AccountWord) {
        return AccountAux.fromBits(_getAux(account));
    }

    function _setAccountWord(address account, AccountWord aux) internal {
        _setAux(account, uint224(aux.bits()));
    }

    function _requireRole(address account, uint8 role) internal view returns (AccountWord aux) {
        aux = _accountWord(account);
        if (aux.roles() & role == 0) revert MissingRole(account, role);
    }

    /// @dev Whether `account` has been RJC-certified without a gap since block `arrival` (when
    /// its stone reached it) up to now.
    function _rjcHeldSince(address account, AccountWord aux, uint256 arrival) internal view returns (bool) {
        return aux.rjcCurrent() && _rjc[account].sinceBlock <= arrival;
    }

    /// @notice Disabled: the registry always needs an admin (to accredit participants and clear
    /// flags). Hand the role over with `transferOwnership` and `acceptOwnership` instead.
    function renounceOwnership() public view override onlyOwner {
        revert AdminRequired();
    }

    /// @inheritdoc IDiamondRegistry
    function certificates() external view returns (IKimberleyCertificates) {
        return _kp;
    }

    /// @inheritdoc IDiamondRegistry
    function grading() external view returns (IGradingBook) {
        return _grading;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERC-165
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == 0x49064906 // ERC-4906 metadata updates
            || ERC721.supportsInterface(interfaceId);
    }
}
