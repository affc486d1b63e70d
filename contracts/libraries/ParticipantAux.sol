// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ParticipantAux: a participant's roles, country and nonce in its ERC-721 balance slot
/// @notice Solady's ERC-721 keeps 224 bits of "aux" data beside each account's balance. Every
/// transfer reads and writes the balance slots of both parties anyway, so the trade rule (are both
/// accredited? in which countries?) and the signed-transfer nonce cost no extra storage access.
///
/// Bit layout of the 224-bit aux:
/// - [0..7]   roles    bit set of participant roles (zero: not accredited)
/// - [8..23]  country  ISO 3166-1 alpha-2, two ASCII bytes
/// - [24..87] nonce    the next custody authorization nonce
library ParticipantAux {
    uint8 internal constant PRODUCER = 1 << 0;
    uint8 internal constant TRADER = 1 << 1;
    uint8 internal constant MANUFACTURER = 1 << 2;
    uint8 internal constant LAB = 1 << 3;
    uint8 internal constant RETAILER = 1 << 4;
    uint8 internal constant KP_AUTHORITY = 1 << 5;
    uint8 internal constant ALL_ROLES = (1 << 6) - 1;

    function roles(uint224 aux) internal pure returns (uint8) {
        return uint8(aux);
    }

    function country(uint224 aux) internal pure returns (bytes2) {
        return bytes2(uint16(aux >> 8));
    }

    function nonce(uint224 aux) internal pure returns (uint64) {
        return uint64(aux >> 24);
    }

    function withProfile(uint224 aux, uint8 newRoles, bytes2 newCountry) internal pure returns (uint224) {
        return (aux & ~uint224(0xffffff)) | uint224(newRoles) | (uint224(uint16(newCountry)) << 8);
    }

    function withNextNonce(uint224 aux) internal pure returns (uint224) {
        return aux + (uint224(1) << 24);
    }

    /// @notice Whether `code` is two upper-case ASCII letters (the form of ISO 3166-1 alpha-2).
    function isCountryCode(bytes2 code) internal pure returns (bool) {
        uint8 a = uint8(code[0]);
        uint8 b = uint8(code[1]);
        return a >= 0x41 && a <= 0x5a && b >= 0x41 && b <= 0x5a;
    }
}
