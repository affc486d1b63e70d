// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondRegistry} from "../../interfaces/IDiamondRegistry.sol";

/// @title StoneRecord: a stone's whole on-chain record in the 96 spare bits of its ownership slot
/// @notice Solady's ERC-721 keeps 96 bits of "extra data" beside each token's owner. That slot is
/// written when a stone is minted and on every change of holder anyway, so a record packed into it
/// costs next to nothing, where a second storage slot per stone would cost 22,100 gas more per
/// registration. Everything a stone shares with its batch (producer, mine, country, dates, kind)
/// lives once in the batch; the stone ID is the token id itself.
///
/// Bit layout of the 96-bit word:
/// - [0..19]  centicarats      weight, 0.01 ct (max 10,485.75 ct)
/// - [20..51] batch            registration batch or split that created the stone
/// - [52..53] status           InTrade, Retailed, Split
/// - [54..55] flag             None, Stolen, Lost
/// - [56..59] lastAction       the action of the last custody record
/// - [60..75] custodyCount     number of custody records
/// - [76..95] commitment       custody commitment after the last record (20 bits)
library StoneRecord {
    struct Record {
        uint32 centicarats;
        uint32 batch;
        IDiamondRegistry.Status status;
        IDiamondRegistry.Flag flag;
        IDiamondRegistry.Action lastAction;
        uint16 custodyCount;
        uint24 commitment;
    }

    uint256 internal constant MAX_CENTICARATS = (1 << 20) - 1;
    uint256 internal constant COMMITMENT_MASK = (1 << 20) - 1;
    uint256 internal constant MAX_CUSTODY_COUNT = type(uint16).max;

    uint256 private constant _STATUS = 52;
    uint256 private constant _FLAG = 54;
    uint256 private constant _ACTION = 56;
    uint256 private constant _COUNT = 60;
    uint256 private constant _COMMITMENT = 76;

    function pack(Record memory r) internal pure returns (uint96) {
        return uint96(
            uint256(r.centicarats) | (uint256(r.batch) << 20) | (uint256(r.status) << _STATUS)
                | (uint256(r.flag) << _FLAG) | (uint256(r.lastAction) << _ACTION)
                | (uint256(r.custodyCount) << _COUNT) | (uint256(r.commitment) << _COMMITMENT)
        );
    }

    function unpack(uint96 word) internal pure returns (Record memory r) {
        uint256 w = word;
        r.centicarats = centicarats(word);
        r.batch = batch(word);
        r.status = status(word);
        r.flag = IDiamondRegistry.Flag((w >> _FLAG) & 3);
        r.lastAction = IDiamondRegistry.Action((w >> _ACTION) & 15);
        r.custodyCount = custodyCount(word);
        r.commitment = commitment(word);
    }

    // Single-field reads and the custody update work on the word directly: a change of holder is
    // the hot path, and unpacking the whole record there would cost gas on every transfer.

    function centicarats(uint96 word) internal pure returns (uint32) {
        return uint32(uint256(word) & MAX_CENTICARATS);
    }

    function batch(uint96 word) internal pure returns (uint32) {
        return uint32(uint256(word) >> 20);
    }

    function status(uint96 word) internal pure returns (IDiamondRegistry.Status) {
        return IDiamondRegistry.Status((uint256(word) >> _STATUS) & 3);
    }

    /// @notice Whether the stone is split or flagged (so it cannot move).
    function isFrozen(uint96 word) internal pure returns (bool) {
        return (uint256(word) >> _STATUS) & 15 >= uint256(IDiamondRegistry.Status.Split);
    }

    function custodyCount(uint96 word) internal pure returns (uint16) {
        return uint16(uint256(word) >> _COUNT);
    }

    function commitment(uint96 word) internal pure returns (uint24) {
        return uint24((uint256(word) >> _COMMITMENT) & COMMITMENT_MASK);
    }

    /// @notice The word after one more custody record with `action` and `newCommitment`, and
    /// status `newStatus`. The caller checks the count against {MAX_CUSTODY_COUNT}.
    function appendCustody(
        uint96 word,
        IDiamondRegistry.Action action,
        uint24 newCommitment,
        IDiamondRegistry.Status newStatus
    ) internal pure returns (uint96) {
        uint256 kept = uint256(word) & ((1 << _STATUS) - 1 | (3 << _FLAG));
        uint256 count = uint256(custodyCount(word)) + 1;
        return uint96(
            kept | (uint256(newStatus) << _STATUS) | (uint256(action) << _ACTION) | (count << _COUNT)
                | (uint256(newCommitment) << _COMMITMENT)
        );
    }

    /// @notice A fresh stone's record: in the trade, no custody records, commitment zero.
    function fresh(uint256 weight, uint32 batchId) internal pure returns (uint96) {
        return uint96(weight | (uint256(batchId) << 20));
    }

    /// @notice The custody commitment after a record, chained from the previous one. Anyone
    /// rebuilding the history from `CustodyTransferred` events recomputes the same chain.
    function commit(
        uint24 previous,
        uint256 tokenId,
        address from,
        address to,
        IDiamondRegistry.Action action,
        bytes32 document,
        bytes32 certificate,
        uint256 time
    ) internal pure returns (uint24) {
        bytes32 digest = keccak256(abi.encode(previous, tokenId, from, to, action, document, certificate, time));
        return uint24(uint256(digest) & COMMITMENT_MASK);
    }
}
