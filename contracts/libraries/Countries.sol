// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Countries: the assigned ISO 3166-1 alpha-2 codes, as 10-bit positions
/// @notice A code's position is `26 * (first letter - 'A') + (second letter - 'A')` (0..675);
/// position 0 ("AA", not assigned) means "no country". Accounts and stones keep positions, which
/// fit their packed words; the 249 assigned codes are bits of a 676-bit map, so "ZZ" or "XX" is
/// refused as surely as "B1".
library Countries {
    // Bit p of the map is set when the code at position p is assigned (iso-codes' 249 entries).
    uint256 private constant _MAP_0 = 0x340400f7818068d0015fb9fb0095c000e00d48015843f27deddbdefeedf5978;
    uint256 private constant _MAP_1 = 0x9fbb3ae7fdf1510040000001538f3c400100084b25d7fffcfd4f8141f42b1d00;
    uint256 private constant _MAP_2 = 0x001004004080010000000004002004085570410419a;

    /// @notice The position of code `iso`, or 0 if it is not an assigned code.
    function position(bytes2 iso) internal pure returns (uint256 p) {
        uint256 a = uint8(iso[0]);
        uint256 b = uint8(iso[1]);
        if (a < 0x41 || a > 0x5a || b < 0x41 || b > 0x5a) return 0;
        p = (a - 0x41) * 26 + (b - 0x41);
        uint256 map = p < 256 ? _MAP_0 : p < 512 ? _MAP_1 : _MAP_2;
        if ((map >> (p & 255)) & 1 == 0) return 0;
    }

    /// @notice The code at position `p` (zero bytes for position 0).
    function code(uint256 p) internal pure returns (bytes2) {
        if (p == 0) return bytes2(0);
        return bytes2(uint16(((0x41 + p / 26) << 8) | (0x41 + p % 26)));
    }
}
