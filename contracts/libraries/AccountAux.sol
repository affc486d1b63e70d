// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondTraceErrors} from "../../interfaces/IDiamondTraceErrors.sol";

/// @dev An account's roles, country, nonce, RJC expiry and custody chain: the 224 bits of "aux"
/// Solady's ERC-721 keeps beside each account's balance, read and written through {AccountAux}.
///
/// Bit layout of the 224-bit aux:
/// - [0..5]     roles      bit set of participant roles (zero: not accredited)
/// - [6..15]    country    position of its ISO 3166-1 code (see Countries); kept after revocation
/// - [16..47]   nonce      the next custody authorization nonce
/// - [48..63]   rjcUntil   last day (since 1970-01-01) of its RJC certification; zero: none
/// - [64..95]   lastBlock  block of the latest custody record it received
/// - [96..223]  chain      its custody chain
type AccountWord is uint224;

using AccountAux for AccountWord global;

/// @title AccountAux: an account's roles, country, nonce, RJC expiry and custody chain, in the
/// 224 spare bits of its ERC-721 balance slot
/// @notice Solady's ERC-721 keeps 224 bits of "aux" data beside each account's balance. Every
/// transfer reads both parties' balance slots and writes them, so the trade rule (accredited? in
/// which country? RJC-certified?), the signed-transfer nonce and the recipient's custody chain
/// cost no extra storage access. The word's bit layout is documented on {AccountWord}.
///
/// The custody chain is the 128-bit hash chain of every custody record the account has received,
/// in order: `chain' = uint128(keccak256(abi.encode(chain, recordHash)))`. Each record also names
/// the sender's chain of the moment, so a stone's history is tied, record by record, to the
/// current holder's chain: a forger must find a 128-bit preimage.
library AccountAux {
    uint8 internal constant PRODUCER = 1 << 0;
    uint8 internal constant TRADER = 1 << 1;
    uint8 internal constant MANUFACTURER = 1 << 2;
    uint8 internal constant LAB = 1 << 3;
    uint8 internal constant RETAILER = 1 << 4;
    uint8 internal constant KP_AUTHORITY = 1 << 5;
    uint8 internal constant ALL_ROLES = (1 << 6) - 1;

    /// @notice What spends one nonce when added to the whole balance slot (balance in its low 32
    /// bits, aux above); the caller checks the nonce is not exhausted first.
    uint256 internal constant NONCE_STEP = 1 << (32 + 16);

    uint256 private constant _COUNTRY = 6;
    uint256 private constant _NONCE = 16;
    uint256 private constant _RJC = 48;
    uint256 private constant _LAST_BLOCK = 64;
    uint256 private constant _CHAIN = 96;

    function roles(AccountWord aux) internal pure returns (uint8) {
        return uint8(bits(aux) & ALL_ROLES);
    }

    function country(AccountWord aux) internal pure returns (uint256) {
        return (bits(aux) >> _COUNTRY) & 0x3ff;
    }

    function nonce(AccountWord aux) internal pure returns (uint32) {
        return uint32(bits(aux) >> _NONCE);
    }

    function rjcUntil(AccountWord aux) internal pure returns (uint16) {
        return uint16(bits(aux) >> _RJC);
    }

    function lastBlock(AccountWord aux) internal pure returns (uint32) {
        return uint32(bits(aux) >> _LAST_BLOCK);
    }

    function chain(AccountWord aux) internal pure returns (uint128) {
        return uint128(bits(aux) >> _CHAIN);
    }

    /// @notice Whether the account's RJC certification covers today.
    function rjcCurrent(AccountWord aux) internal view returns (bool) {
        uint256 until = rjcUntil(aux);
        return until != 0 && block.timestamp / 1 days <= until;
    }

    function withProfile(AccountWord aux, uint8 newRoles, uint256 newCountry) internal pure returns (AccountWord) {
        return fromBits((bits(aux) & ~uint256(0xffff)) | newRoles | (newCountry << _COUNTRY));
    }

    /// @dev Reverts when the nonce is exhausted, so a nonce is never reused.
    function withNextNonce(AccountWord aux) internal pure returns (AccountWord) {
        if (nonce(aux) == type(uint32).max) revert IDiamondTraceErrors.NonceExhausted();
        return fromBits(bits(aux) + (NONCE_STEP >> 32));
    }

    function withRjcUntil(AccountWord aux, uint16 day) internal pure returns (AccountWord) {
        return fromBits((bits(aux) & ~(uint256(0xffff) << _RJC)) | (uint256(day) << _RJC));
    }

    /// @notice The aux after absorbing a record with hash `recordHash` in block `blockNumber`.
    function absorb(AccountWord aux, bytes32 recordHash, uint256 blockNumber) internal pure returns (AccountWord) {
        uint128 next = uint128(uint256(keccak256(abi.encode(chain(aux), recordHash))));
        return fromBits(
            (bits(aux) & ((1 << _LAST_BLOCK) - 1)) | (uint256(uint32(blockNumber)) << _LAST_BLOCK)
                | (uint256(next) << _CHAIN)
        );
    }

    // `AccountWord.wrap` and `.unwrap` each clean the value to 224 bits again, and the compiler
    // then keeps the custody transfer (the hot path) from optimizing as it did with a bare
    // `uint224`: about 160 gas more on every change of holder, measured. An aux only ever
    // holds 224 bits, so these two cross between the type and its bits without the cleanup.

    function bits(AccountWord aux) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := aux
        }
    }

    /// @dev The low 224 bits: what the balance slot has room for.
    function fromBits(uint256 value) internal pure returns (AccountWord aux) {
        uint224 low = uint224(value);
        assembly ("memory-safe") {
            aux := low
        }
    }
}
