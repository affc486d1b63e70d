// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondRegistry} from "../../interfaces/IDiamondRegistry.sol";
import {RegistryBase} from "./RegistryBase.sol";
import {ParticipantAux} from "../libraries/ParticipantAux.sol";

/// @title Participants: the admin accredits and revokes the trade's participants
abstract contract Participants is RegistryBase {
    using ParticipantAux for uint224;

    uint8 public constant PRODUCER_ROLE = ParticipantAux.PRODUCER;
    uint8 public constant TRADER_ROLE = ParticipantAux.TRADER;
    uint8 public constant MANUFACTURER_ROLE = ParticipantAux.MANUFACTURER;
    uint8 public constant LAB_ROLE = ParticipantAux.LAB;
    uint8 public constant RETAILER_ROLE = ParticipantAux.RETAILER;
    uint8 public constant KP_AUTHORITY_ROLE = ParticipantAux.KP_AUTHORITY;

    mapping(address => string) private _names;

    /// @inheritdoc IDiamondRegistry
    function accredit(address account, uint8 roles, bytes2 country, string calldata displayName)
        external
        onlyOwner
    {
        if (account == address(0)) revert ZeroAddress();
        if (roles == 0 || roles & ~ParticipantAux.ALL_ROLES != 0) revert InvalidRoles(roles);
        _requireCountry(country);
        uint224 aux = _getAux(account);
        if (aux.roles() == 0) ++_totals.participants;
        _setAux(account, aux.withProfile(roles, country));
        _names[account] = displayName;
        emit ParticipantAccredited(account, roles, country, displayName);
    }

    /// @inheritdoc IDiamondRegistry
    function revoke(address account) external onlyOwner {
        uint224 aux = _getAux(account);
        if (aux.roles() == 0) revert NotAccredited(account);
        --_totals.participants;
        _setAux(account, aux.withProfile(0, aux.country()));
        emit ParticipantRevoked(account);
    }

    /// @inheritdoc IDiamondRegistry
    function participant(address account) external view returns (Participant memory) {
        uint224 aux = _getAux(account);
        return Participant({roles: aux.roles(), country: aux.country(), name: _names[account]});
    }

    /// @inheritdoc IDiamondRegistry
    function nonces(address holder) external view returns (uint256) {
        return _getAux(holder).nonce();
    }
}
