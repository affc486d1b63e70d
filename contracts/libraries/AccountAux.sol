// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondTraceErrors} from "../../interfaces/IDiamondTraceErrors.sol";

/// @title AccountAux: an account's roles, country, nonce, RJC expiry and custody chain, in the
/// 224 spare bits of its ERC-721 balance slot
/// @notice Solady's ERC-721 keeps 224 bits of "aux" data beside each account's balance. Every
/// transfer reads both parties' balance slots and writes them, so the trade rule (accredited? in
/// which country? RJC-certified?), the signed-transfer nonce and the recipient's custody chain
/// cost no extra storage access.
///
/// The custody chain is the 128-bit hash chain of every custody record the account has received,
/// in order: `chain' = uint128(keccak256(abi.encode(chain, recordHash)))`. Each record also names
/// the sender's chain of the moment, so a stone's history is tied, record by record, to the
/// current holder's chain: a forger must find a 128-bit preimage.
///
/// Bit layout of the 224-bit aux:
/// - [0..5]     roles      bit set of participant roles (zero: not accredited)
/// - [6..15]    country    position of its ISO 3166-1 code (see Countries); kept after revocation
/// - [16..47]   nonce      the next custody authorization nonce
/// - [48..63]   rjcUntil   last day (since 1970-01-01) of its RJC certification; zero: none
/// - [64..95]   lastBlock  block of the latest custody record it received
/// - [96..223]  chain      its custody chain
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

    function roles(uint224 aux) internal pure returns (uint8) {
        return uint8(aux & ALL_ROLES);
    }

    function country(uint224 aux) internal pure returns (uint256) {
        return (aux >> _COUNTRY) & 0x3ff;
    }

    function nonce(uint224 aux) internal pure returns (uint32) {
        return uint32(aux >> _NONCE);
    }

    function rjcUntil(uint224 aux) internal pure returns (uint16) {
        return uint16(aux >> _RJC);
    }

    function lastBlock(uint224 aux) internal pure returns (uint32) {
        return uint32(aux >> _LAST_BLOCK);
    }

    function chain(uint224 aux) internal pure returns (uint128) {
        return uint128(aux >> _CHAIN);
    }

    /// @notice Whether the account's RJC certification covers today.
    function rjcCurrent(uint224 aux) internal view returns (bool) {
        uint256 until = rjcUntil(aux);
        return until != 0 && block.timestamp / 1 days <= until;
    }

    function withProfile(uint224 aux, uint8 newRoles, uint256 newCountry) internal pure returns (uint224) {
        return uint224((uint256(aux) & ~uint256(0xffff)) | newRoles | (newCountry << _COUNTRY));
    }

    /// @dev Reverts when the nonce is exhausted, so a nonce is never reused.
    function withNextNonce(uint224 aux) internal pure returns (uint224) {
        if (nonce(aux) == type(uint32).max) revert IDiamondTraceErrors.NonceExhausted();
        return uint224(uint256(aux) + (NONCE_STEP >> 32));
    }

    function withRjcUntil(uint224 aux, uint16 day) internal pure returns (uint224) {
        return uint224((uint256(aux) & ~(uint256(0xffff) << _RJC)) | (uint256(day) << _RJC));
    }

    /// @notice The aux after absorbing a record with hash `recordHash` in block `blockNumber`.
    function absorb(uint224 aux, bytes32 recordHash, uint256 blockNumber) internal pure returns (uint224) {
        uint128 next = uint128(uint256(keccak256(abi.encode(chain(aux), recordHash))));
        return uint224(
            (uint256(aux) & ((1 << _LAST_BLOCK) - 1)) | (uint256(uint32(blockNumber)) << _LAST_BLOCK)
                | (uint256(next) << _CHAIN)
        );
    }
}
