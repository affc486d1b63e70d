// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IDiamondTraceErrors: every way the registry and its Kimberley Process book refuse
/// @notice One list for both contracts: a refusal raised inside the KP book reaches the caller of
/// the registry unchanged, so a client decodes any revert with this one set.
/// @dev Countries are ISO 3166-1 alpha-2 codes as two ASCII bytes; flags are `IDiamondRegistry.Flag`.
interface IDiamondTraceErrors {
    /*//////////////////////////////////////////////////////////////
                               PARTICIPANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The registry cannot be left without an admin.
    error AdminRequired();
    /// @notice `account` lacks participant role `role` (a single role bit).
    error MissingRole(address account, uint8 role);
    /// @notice `account` is not an accredited participant.
    error NotAccredited(address account);
    /// @notice `roles` is empty or has bits that are not roles.
    error InvalidRoles(uint8 roles);
    /// @notice `country` is not an assigned ISO 3166-1 alpha-2 code.
    error InvalidCountry(bytes2 country);
    /// @notice `account` is registered in `country`; an address never changes country (its stones'
    /// whereabouts would change with it). A participant that moves gets a new address.
    error CountryChange(address account, bytes2 country, bytes2 requested);
    /// @notice An address that must be set is zero.
    error ZeroAddress();
    /// @notice A stone-ID prefix must be 1..31 printable ASCII characters without spaces.
    error InvalidPrefix(bytes32 prefix);
    /// @notice `prefix` is, or starts with, or is the start of, a prefix another participant holds.
    error PrefixOverlaps(bytes32 prefix);
    /// @notice `account` already holds prefix `prefix`; a prefix is for life.
    error PrefixAlreadyAssigned(address account, bytes32 prefix);
    /// @notice `account` has no stone-ID prefix, so it cannot register stones.
    error NoPrefix(address account);
    /// @notice Stone `tokenId` does not carry its registrant's prefix `prefix`.
    error OutsidePrefix(uint256 tokenId, bytes32 prefix);
    /// @notice `holder` is still accredited: only a revoked participant's stones are recovered.
    error NotRevoked(address holder);
    /// @notice Revoked `holder` has no named successor to recover its stones to.
    error NoSuccessor(address holder);

    /*//////////////////////////////////////////////////////////////
                               REGISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @notice A batch must hold at least one stone.
    error EmptyBatch();
    /// @notice A batch of `size` stones exceeds `max`, the most that fit one transaction under the
    /// EIP-7825 cap of 16,777,216 gas; nothing was registered.
    error BatchTooLarge(uint256 size, uint256 max);
    /// @notice The registry has opened the most batches it can number (2^27 - 1).
    error RegistryFull();
    /// @notice Parallel arrays of different lengths.
    error LengthMismatch(uint256 expected, uint256 actual);
    /// @notice Stone `tokenId` is already registered.
    error StoneAlreadyRegistered(uint256 tokenId);
    /// @notice Stone `tokenId` does not exist.
    error UnknownStone(uint256 tokenId);
    /// @notice `centicarats` is zero or above the registry's maximum.
    error InvalidWeight(uint256 tokenId, uint256 centicarats);
    /// @notice `productionDay` is after today.
    error ProductionDayInFuture(uint24 productionDay);
    /// @notice The mine name is not 1..32 characters of printable ASCII.
    error InvalidMine(bytes32 mine);
    /// @notice A producer registers only stones of its own accredited country `accredited`.
    error OriginCountryMismatch(bytes2 country, bytes2 accredited);
    /// @notice The stones' first holder `to` must be accredited in the country of origin `country`.
    error RecipientCountryMismatch(address to, bytes2 country);
    /// @notice The stone ID (as its token id) is not 1..32 printable ASCII characters without spaces.
    error InvalidStoneId(uint256 tokenId);
    /// @notice A description is `length` bytes, more than the `max` the registry keeps.
    error DescriptionTooLong(uint256 tokenId, uint256 length, uint256 max);

    /*//////////////////////////////////////////////////////////////
                             KP CERTIFICATES
    //////////////////////////////////////////////////////////////*/

    /// @notice Certificate `number` of exporting country `exporting` is already recorded.
    error CertificateExists(bytes2 exporting, bytes32 number);
    /// @notice No certificate `number` of exporting country `exporting` was recorded.
    error UnknownCertificate(bytes2 exporting, bytes32 number);
    /// @notice A certificate field is malformed (number not 1..32 printable ASCII characters, zero
    /// weight or parcels, expiry not after issue, importing country equal to exporting).
    error InvalidCertificate(bytes32 number);
    /// @notice `authority` may only record certificates for exports from its own country.
    error NotExportingAuthority(address authority, bytes2 exporting);
    /// @notice Certificate `number` is expired, or not yet issued, at the current block time.
    error CertificateNotValid(bytes32 number, uint40 issuedAt, uint40 expiresAt);
    /// @notice Drawing `requested` centicarats would exceed certificate `number`'s declared weight.
    error CertificateOverdrawn(bytes32 number, uint64 declared, uint64 drawn, uint64 requested);
    /// @notice Certificate `number` does not cover a move from `from` to `to` (parties or countries differ).
    error CertificateMismatch(bytes32 number, address from, address to);
    /// @notice Only certificate `number`'s exporter draws from it; `caller` is not.
    error NotExporter(bytes32 number, address caller);
    /// @notice Only the registry draws from certificates.
    error NotRegistry(address caller);

    /*//////////////////////////////////////////////////////////////
                                 CUSTODY
    //////////////////////////////////////////////////////////////*/

    /// @notice Rough stone `tokenId` lies in `fromCountry` and would reach `toCountry` without a KP certificate.
    error CrossBorderWithoutCertificate(uint256 tokenId, bytes2 fromCountry, bytes2 toCountry);
    /// @notice Stone `tokenId` is not a natural rough stone under the Kimberley Process.
    error NotRough(uint256 tokenId);
    /// @notice Stone `tokenId` is rough: retail sale is for polished stones.
    error NotPolished(uint256 tokenId);
    /// @notice Stone `tokenId` was sold at retail and has left the trade: it cannot be split,
    /// certified or otherwise brought back into it.
    error NotInTrade(uint256 tokenId);
    /// @notice Stone `tokenId` was split and is retired; it can never move or change again.
    error StoneRetired(uint256 tokenId);
    /// @notice Stone `tokenId` is flagged stolen or lost (`flag`) and cannot move until an admin clears it.
    error StoneIsFlagged(uint256 tokenId, uint8 flag);
    /// @notice A stone in the trade may only go to an accredited participant, or be retail-sold by a retailer.
    error RecipientNotAccredited(address to);
    /// @notice A stone in the trade may only move from an accredited holder.
    error HolderNotAccredited(address from);
    /// @notice A custody record needs a change of holder.
    error NoChangeOfHolder(uint256 tokenId);
    /// @notice `account` does not hold stone `tokenId`.
    error NotHolder(address account, uint256 tokenId);
    /// @notice `action` cannot be named here (plain transfers and recoveries name themselves).
    error InvalidAction(uint8 action);
    /// @notice An admin's flag or recovery must name the report or ruling behind it.
    error DocumentRequired();
    /// @notice The authorization's deadline has passed.
    error AuthorizationExpired(uint256 deadline);
    /// @notice The account has spent all 2^32 - 1 of its authorization nonces.
    error NonceExhausted();
    /// @notice The authorization's nonce is not the holder's current nonce (used, or out of order).
    error InvalidNonce(address holder, uint256 expected, uint256 given);
    /// @notice The signature is not the holder's for this authorization, registry and chain.
    error InvalidSignature(address holder);
    /// @notice The stone has moved since the authorization was signed (its latest record was in
    /// block `signedAfter`, it is now in block `lastRecordBlock`): the authorization is void.
    error StoneMovedSinceSigned(uint256 tokenId, uint256 signedAfter, uint256 lastRecordBlock);

    /*//////////////////////////////////////////////////////////////
                           LINEAGE AND GRADING
    //////////////////////////////////////////////////////////////*/

    /// @notice The children would weigh `children` centicarats, more than the parent's `parent`.
    error ChildrenOutweighParent(uint256 parentId, uint64 parent, uint64 children);
    /// @notice `lab` already issued report `reportNumber`.
    error ReportExists(address lab, bytes32 reportNumber);
    /// @notice A grading report needs a weight, and a number, colour, clarity and cut in printable ASCII.
    error InvalidReport(bytes32 reportNumber);

    /*//////////////////////////////////////////////////////////////
                                  FLAGS
    //////////////////////////////////////////////////////////////*/

    /// @notice Stone `tokenId` is already flagged (`flag`).
    error AlreadyFlagged(uint256 tokenId, uint8 flag);
    /// @notice Stone `tokenId` is not flagged.
    error NotFlagged(uint256 tokenId);
    /// @notice The flag must be `Stolen` or `Lost`.
    error InvalidFlag();
}
