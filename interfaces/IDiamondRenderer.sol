// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDiamondRegistry} from "./IDiamondRegistry.sol";

/// @title IDiamondRenderer: turns a registry's record of a stone into ERC-721 metadata
/// @notice Kept apart from the registry so that the registry stays under the EIP-170 code size
/// limit; it only reads the registry's public views.
interface IDiamondRenderer {
    /// @notice The metadata of `tokenId` in `registry`: a `data:application/json;base64,` URI
    /// with name, description, an on-chain SVG `image` and `attributes`.
    function tokenURI(IDiamondRegistry registry, uint256 tokenId) external view returns (string memory);
}
