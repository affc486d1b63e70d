// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Ascii32: short ASCII strings held in one 32-byte word
/// @notice Stone IDs, mine names, certificate and report numbers and grades are at most 32
/// characters of printable ASCII, left-aligned in a word and zero-padded. A stone ID (no spaces)
/// is also the stone's token id: unique because the token id is, derivable by anyone from the ID,
/// and read back with no storage at all. Text (spaces allowed) is what metadata shows; being
/// printable ASCII, it can always be escaped into valid JSON and XML.
library Ascii32 {
    uint256 private constant _HIGH_BITS = 0x8080808080808080808080808080808080808080808080808080808080808080;
    uint256 private constant _LOW_7_BITS = 0x7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f;
    uint256 private constant _ONES = 0x0101010101010101010101010101010101010101010101010101010101010101;

    /// @notice Whether `word` is a stone ID: 1..32 bytes of 0x21..0x7E, then zero padding.
    function isStoneId(uint256 word) internal pure returns (bool) {
        return _isPrefix(word, 0x21);
    }

    /// @notice Whether `word` is text: 1..32 bytes of 0x20..0x7E, then zero padding.
    function isText(bytes32 word) internal pure returns (bool) {
        return _isPrefix(uint256(word), 0x20);
    }

    /// @dev Branch-free over all 32 bytes at once (SWAR): registration checks every stone, so this
    /// runs thousands of times per production run.
    function _isPrefix(uint256 word, uint256 lowest) private pure returns (bool) {
        uint256 low = word & _LOW_7_BITS;
        // High bit of each byte: set when the byte is non-zero (no carries: 0x7f + 0x7f < 0x100).
        uint256 nonZero = ((low + _LOW_7_BITS) | word) & _HIGH_BITS;
        // Set when the byte's low 7 bits are >= `lowest`.
        uint256 atLeastLowest = (low + (0x80 - lowest) * _ONES) & _HIGH_BITS;
        // Set when the byte's low 7 bits are 0x7f (DEL), which is not printable.
        uint256 isDel = (low + _ONES) & _HIGH_BITS;
        // A byte with its own high bit set is not ASCII.
        uint256 notAscii = word & _HIGH_BITS;
        if (((nonZero ^ atLeastLowest) | isDel | notAscii) != 0) return false;
        // Non-zero bytes must form a non-empty prefix: as whole bytes, ~mask is 2^k - 1.
        uint256 tail = ~((nonZero >> 7) * 0xff);
        return word != 0 && (tail & (tail + 1)) == 0;
    }

    /// @notice A mask of `word`'s non-zero bytes: for a left-aligned prefix, `tokenId & mask ==
    /// prefix` exactly when the token id starts with it.
    function mask(bytes32 word) internal pure returns (uint256) {
        uint256 w = uint256(word);
        uint256 nonZero = (((w & _LOW_7_BITS) + _LOW_7_BITS) | w) & _HIGH_BITS;
        return (nonZero >> 7) * 0xff;
    }

    /// @notice The characters of `word`, without its zero padding.
    function toString(bytes32 word) internal pure returns (string memory result) {
        uint256 length;
        while (length < 32 && word[length] != 0) ++length;
        result = new string(length);
        assembly ("memory-safe") {
            mstore(add(result, 0x20), word)
        }
    }

    /// @notice `text` as a left-aligned word; zero when it is empty or longer than 32 bytes.
    function fromString(string memory text) internal pure returns (bytes32 word) {
        bytes memory raw = bytes(text);
        if (raw.length == 0 || raw.length > 32) return 0;
        assembly ("memory-safe") {
            word := mload(add(raw, 0x20))
        }
        // Clear whatever memory followed a shorter string.
        word &= ~bytes32(type(uint256).max >> (8 * raw.length));
    }
}
