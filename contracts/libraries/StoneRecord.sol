// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondRegistry} from "../../interfaces/IDiamondRegistry.sol";

/// @dev A stone's on-chain record: the 96 bits of "extra data" Solady's ERC-721 keeps beside each
/// token's owner, read and written through {StoneRecord}.
///
/// Bit layout of the 96-bit word:
/// - [0..19]   centicarats      weight, 0.01 ct (max 10,485.75 ct)
/// - [20..46]  batch            registration batch, split or declaration that created the stone
/// - [47..48]  status           InTrade, Retailed, Split
/// - [49..50]  flag             None, Stolen, Lost
/// - [51..60]  jurisdiction     for natural rough: the position of the country it lies in (see
///                              Countries); zero for stones outside the Kimberley Process
/// - [61]      warranted        every sale in the trade so far carried the SoW warranty
/// - [62]      rjc              every holder in the trade so far was RJC-certified throughout
/// - [63]      hasRecords       the stone has a custody record
/// - [64..95]  lastRecordBlock  block of the latest custody record, or of the registration
type StoneWord is uint96;

using StoneRecord for StoneWord global;

/// @title StoneRecord: a stone's on-chain record in the 96 spare bits of its ownership slot
/// @notice Solady's ERC-721 keeps 96 bits of "extra data" beside each token's owner. That slot is
/// written when a stone is minted and on every change of holder anyway, so a record packed into it
/// costs next to nothing, where a second storage slot per stone would cost 22,100 gas more per
/// registration. What a stone shares with its batch (registrant, mine, origin, dates) lives once
/// in the batch; the stone ID is the token id itself; the strong custody commitment lives in the
/// holders' account chains (see AccountAux). The word's bit layout is documented on {StoneWord}.
library StoneRecord {
    struct Record {
        uint32 centicarats;
        uint32 batch;
        IDiamondRegistry.Status status;
        IDiamondRegistry.Flag flag;
        uint256 jurisdiction;
        bool warranted;
        bool rjc;
        bool hasRecords;
        uint32 lastRecordBlock;
    }

    uint256 internal constant MAX_CENTICARATS = (1 << 20) - 1;
    uint256 internal constant MAX_BATCH_ID = (1 << 27) - 1;

    uint256 private constant _BATCH = 20;
    uint256 private constant _STATUS = 47;
    uint256 private constant _FLAG = 49;
    uint256 private constant _JURISDICTION = 51;
    uint256 private constant _WARRANTED = 61;
    uint256 private constant _RJC = 62;
    uint256 private constant _HAS_RECORDS = 63;
    uint256 private constant _LAST_BLOCK = 64;

    function unpack(StoneWord word) internal pure returns (Record memory r) {
        r.centicarats = centicarats(word);
        r.batch = batch(word);
        r.status = status(word);
        r.flag = flag(word);
        r.jurisdiction = jurisdiction(word);
        r.warranted = warranted(word);
        r.rjc = rjc(word);
        r.hasRecords = hasRecords(word);
        r.lastRecordBlock = lastRecordBlock(word);
    }

    // Single-field reads and updates work on the word directly: a change of holder is the hot
    // path, and unpacking the whole record there would cost gas on every transfer.

    function centicarats(StoneWord word) internal pure returns (uint32) {
        return uint32(bits(word) & MAX_CENTICARATS);
    }

    function batch(StoneWord word) internal pure returns (uint32) {
        return uint32((bits(word) >> _BATCH) & MAX_BATCH_ID);
    }

    function status(StoneWord word) internal pure returns (IDiamondRegistry.Status) {
        return IDiamondRegistry.Status((bits(word) >> _STATUS) & 3);
    }

    function flag(StoneWord word) internal pure returns (IDiamondRegistry.Flag) {
        return IDiamondRegistry.Flag((bits(word) >> _FLAG) & 3);
    }

    /// @notice Whether the stone is split or flagged (so it cannot move or change).
    function isFrozen(StoneWord word) internal pure returns (bool) {
        // status + 4 * flag: 0 or 1 only for an unflagged stone in the trade or retailed.
        return (bits(word) >> _STATUS) & 15 >= uint256(IDiamondRegistry.Status.Split);
    }

    function jurisdiction(StoneWord word) internal pure returns (uint256) {
        return (bits(word) >> _JURISDICTION) & 0x3ff;
    }

    function warranted(StoneWord word) internal pure returns (bool) {
        return (bits(word) >> _WARRANTED) & 1 == 1;
    }

    function rjc(StoneWord word) internal pure returns (bool) {
        return (bits(word) >> _RJC) & 1 == 1;
    }

    function hasRecords(StoneWord word) internal pure returns (bool) {
        return (bits(word) >> _HAS_RECORDS) & 1 == 1;
    }

    function lastRecordBlock(StoneWord word) internal pure returns (uint32) {
        return uint32(bits(word) >> _LAST_BLOCK);
    }

    /// @notice What every stone of a new batch shares: its batch, jurisdiction, assurances and
    /// registration block; each stone's weight is OR-ed in. In the trade, unflagged, no records.
    function fresh(uint32 batchId, uint256 country, bool isWarranted, bool isRjc, uint256 blockNumber)
        internal
        pure
        returns (StoneWord)
    {
        return fromBits(
            (uint256(batchId) << _BATCH) | (country << _JURISDICTION) | (isWarranted ? 1 << _WARRANTED : 0)
                | (isRjc ? 1 << _RJC : 0) | (uint256(uint32(blockNumber)) << _LAST_BLOCK)
        );
    }

    function withStatus(StoneWord word, IDiamondRegistry.Status newStatus) internal pure returns (StoneWord) {
        return fromBits((bits(word) & ~(uint256(3) << _STATUS)) | (uint256(newStatus) << _STATUS));
    }

    function withFlag(StoneWord word, IDiamondRegistry.Flag newFlag) internal pure returns (StoneWord) {
        return fromBits((bits(word) & ~(uint256(3) << _FLAG)) | (uint256(newFlag) << _FLAG));
    }

    function withJurisdiction(StoneWord word, uint256 country) internal pure returns (StoneWord) {
        return fromBits((bits(word) & ~(uint256(0x3ff) << _JURISDICTION)) | (country << _JURISDICTION));
    }

    function withoutWarranty(StoneWord word) internal pure returns (StoneWord) {
        return fromBits(bits(word) & ~(uint256(1) << _WARRANTED));
    }

    function withoutRjc(StoneWord word) internal pure returns (StoneWord) {
        return fromBits(bits(word) & ~(uint256(1) << _RJC));
    }

    /// @notice The word after a custody record in block `blockNumber`.
    function withRecord(StoneWord word, uint256 blockNumber) internal pure returns (StoneWord) {
        return fromBits(
            (bits(word) & ((1 << _LAST_BLOCK) - 1)) | (1 << _HAS_RECORDS) | (uint256(uint32(blockNumber)) << _LAST_BLOCK)
        );
    }

    // `StoneWord.wrap` and `.unwrap` each clean the value to 96 bits again, and the compiler
    // then keeps the custody transfer (the hot path) from optimizing as it did with a bare
    // `uint96`: about 160 gas more on every change of holder, measured. A word only ever
    // holds 96 bits, so these two cross between the type and its bits without the cleanup.

    function bits(StoneWord word) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := word
        }
    }

    /// @dev The low 96 bits: what the ownership slot has room for.
    function fromBits(uint256 value) internal pure returns (StoneWord word) {
        uint96 low = uint96(value);
        assembly ("memory-safe") {
            word := low
        }
    }
}
