// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondRegistry} from "../../interfaces/IDiamondRegistry.sol";
import {RegistryBase} from "./RegistryBase.sol";
import {Ascii32} from "../libraries/Ascii32.sol";
import {AccountAux, AccountWord} from "../libraries/AccountAux.sol";
import {Countries} from "../libraries/Countries.sol";

/// @title Participants: the admin accredits and revokes the trade's participants, gives
/// registrants their stone-ID prefixes and records RJC certifications
/// @notice The admin's actions stay open while the registry is paused, so that it can act on
/// what made it pause (revoke a compromised key, say).
abstract contract Participants is RegistryBase {
    uint8 public constant PRODUCER_ROLE = AccountAux.PRODUCER;
    uint8 public constant TRADER_ROLE = AccountAux.TRADER;
    uint8 public constant MANUFACTURER_ROLE = AccountAux.MANUFACTURER;
    uint8 public constant LAB_ROLE = AccountAux.LAB;
    uint8 public constant RETAILER_ROLE = AccountAux.RETAILER;
    uint8 public constant KP_AUTHORITY_ROLE = AccountAux.KP_AUTHORITY;

    /// @inheritdoc IDiamondRegistry
    function accredit(address account, uint8 roles, bytes2 country, string calldata displayName, bytes32 prefix)
        external
        onlyOwner
    {
        if (account == address(0)) revert ZeroAddress();
        if (roles == 0 || roles & ~AccountAux.ALL_ROLES != 0) revert InvalidRoles(roles);
        uint256 position = Countries.position(country);
        if (position == 0) revert InvalidCountry(country);
        AccountWord aux = _accountWord(account);
        // An address keeps its country for life: its rough stones lie where it does.
        uint256 current = aux.country();
        if (current != 0 && current != position) revert CountryChange(account, Countries.code(current), country);
        if (aux.roles() == 0) ++_totals.participants;
        _setAccountWord(account, aux.withProfile(roles, position));
        _names[account] = displayName;
        emit ParticipantAccredited(account, roles, country, displayName);
        if (prefix != 0) _assignPrefix(account, prefix);
    }

    /// @inheritdoc IDiamondRegistry
    function revoke(address account, address successor) external onlyOwner {
        AccountWord aux = _accountWord(account);
        if (aux.roles() != 0) {
            --_totals.participants;
            _setAccountWord(account, aux.withProfile(0, aux.country()));
        } else if (aux.country() == 0) {
            revert NotAccredited(account); // never accredited: nothing to revoke
        }
        // Revoking again names a new successor (say, when the first was revoked in turn).
        _successors[account] = successor;
        emit ParticipantRevoked(account, successor);
    }

    /// @inheritdoc IDiamondRegistry
    function certifyRjc(address account, bytes32 certificate, uint40 expiresAt) external onlyOwner {
        if (account == address(0)) revert ZeroAddress();
        if (!Ascii32.isText(certificate)) revert InvalidCertificate(certificate);
        AccountWord aux = _accountWord(account);
        RjcRecord storage r = _rjc[account];
        // A renewal before the old certification lapsed continues it; otherwise a new period starts.
        if (!aux.rjcCurrent()) r.sinceBlock = uint32(block.number);
        r.expiresAt = expiresAt;
        r.certificate = certificate;
        // The last day covered to its end: an expiry earlier today withdraws it now, not at
        // midnight; and a far-future expiry saturates rather than wrapping round to the past.
        uint256 lastDay = (uint256(expiresAt) + 1) / 1 days;
        lastDay = lastDay == 0 ? 0 : lastDay - 1;
        _setAccountWord(account, aux.withRjcUntil(uint16(lastDay > type(uint16).max ? type(uint16).max : lastDay)));
        emit RjcCertified(account, certificate, expiresAt, r.sinceBlock);
    }

    /// @inheritdoc IDiamondRegistry
    function participant(address account) external view returns (Participant memory p) {
        AccountWord aux = _accountWord(account);
        RjcRecord storage r = _rjc[account];
        p.roles = aux.roles();
        p.country = Countries.code(aux.country());
        p.name = _names[account];
        p.prefix = _prefixOf[account];
        p.successor = _successors[account];
        p.nonce = aux.nonce();
        p.rjc = RjcCertification({
            certificate: r.certificate,
            expiresAt: r.expiresAt,
            sinceBlock: r.sinceBlock,
            current: aux.rjcCurrent()
        });
    }

    /// @notice `account`'s roles and country, in one light read (the KP book asks it).
    function accreditation(address account) external view returns (uint8 roles, bytes2 country) {
        AccountWord aux = _accountWord(account);
        return (aux.roles(), Countries.code(aux.country()));
    }

    /// @inheritdoc IDiamondRegistry
    function nonces(address holder) external view returns (uint256) {
        return _accountWord(holder).nonce();
    }

    /// @dev Gives `account` `prefix` for life. No held prefix may start this one, nor this one
    /// start a held one: otherwise one registrant could claim another's stone IDs.
    function _assignPrefix(address account, bytes32 prefix) private {
        bytes32 held = _prefixOf[account];
        if (held == prefix) return;
        if (held != 0) revert PrefixAlreadyAssigned(account, held);
        // 1..31 characters, so that every stone ID under it has room for its own part.
        if (!Ascii32.isStoneId(uint256(prefix)) || uint8(prefix[31]) != 0) revert InvalidPrefix(prefix);
        if (_prefixStarts[prefix]) revert PrefixOverlaps(prefix);
        uint256 length;
        while (uint8(prefix[length]) != 0) ++length;
        for (uint256 k = 1; k <= length; ++k) {
            bytes32 start = prefix & bytes32(~(type(uint256).max >> (8 * k)));
            if (_prefixHolder[start] != address(0)) revert PrefixOverlaps(prefix);
            _prefixStarts[start] = true;
        }
        _prefixHolder[prefix] = account;
        _prefixOf[account] = prefix;
        emit PrefixAssigned(account, prefix);
    }
}
