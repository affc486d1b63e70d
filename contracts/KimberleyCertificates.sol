// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IKimberleyCertificates} from "../interfaces/IKimberleyCertificates.sol";
import {Ascii32} from "./libraries/Ascii32.sol";
import {AccountAux} from "./libraries/AccountAux.sol";
import {Countries} from "./libraries/Countries.sol";

/// @notice What the book asks of its registry.
interface IRegistryForCertificates {
    function accreditation(address account) external view returns (uint8 roles, bytes2 country);
    function paused() external view returns (bool);
}

/// @title KimberleyCertificates: the registry's book of Kimberley Process certificates
/// @notice Deployed by the registry, which alone draws from it. A certificate is keyed by its
/// exporting country and number; only its exporter draws from it, only inside its validity, and
/// never past its declared weight. Kept apart from the registry so that the registry stays under
/// the EIP-170 code size limit; it costs a cross-border move one call.
contract KimberleyCertificates is IKimberleyCertificates {
    /// @dev Six slots; a crossing reads the middle three.
    struct CertificateRecord {
        bytes32 number;
        address exporter;
        uint40 issuedAt;
        uint40 expiresAt;
        bytes2 exporting;
        address importer;
        bytes2 importing;
        uint32 parcels;
        uint40 recordedAt;
        uint64 centicarats;
        uint64 drawn;
        uint64 valueUsd;
        address authority;
        bytes32 document;
    }

    /// @notice The registry this book belongs to (its deployer).
    address public immutable registry;

    uint32 private _count;
    mapping(uint32 id => CertificateRecord record) private _certificates;
    mapping(bytes2 exporting => mapping(bytes32 number => uint32 id)) private _ids;
    mapping(uint256 tokenId => uint32 certificateId) private _crossing;

    /// @notice A KP certificate cannot be recorded while the registry is paused.
    /// @dev OpenZeppelin Pausable's own error, which the registry raises when paused, so that a
    /// client sees one error for both. Not in IDiamondTraceErrors: the registry inherits it from
    /// Pausable, and a second declaration there would clash.
    error EnforcedPause();

    constructor() {
        registry = msg.sender;
    }

    modifier onlyRegistry() {
        if (msg.sender != registry) revert NotRegistry(msg.sender);
        _;
    }

    /// @inheritdoc IKimberleyCertificates
    function recordCertificate(CertificateInput calldata c) external returns (uint32 id) {
        IRegistryForCertificates r = IRegistryForCertificates(registry);
        if (r.paused()) revert EnforcedPause();
        (uint8 roles, bytes2 country) = r.accreditation(msg.sender);
        if (roles & AccountAux.KP_AUTHORITY == 0) revert MissingRole(msg.sender, AccountAux.KP_AUTHORITY);
        if (country != c.exporting) revert NotExportingAuthority(msg.sender, c.exporting);
        if (
            !Ascii32.isText(c.number) || c.centicarats == 0 || c.parcels == 0 || c.expiresAt <= c.issuedAt
                || c.importing == c.exporting
        ) revert InvalidCertificate(c.number);
        if (Countries.position(c.importing) == 0) revert InvalidCountry(c.importing);
        if (c.exporter == address(0) || c.importer == address(0)) revert ZeroAddress();
        if (_ids[c.exporting][c.number] != 0) revert CertificateExists(c.exporting, c.number);

        id = ++_count;
        _ids[c.exporting][c.number] = id;
        _certificates[id] = CertificateRecord({
            number: c.number,
            exporter: c.exporter,
            issuedAt: c.issuedAt,
            expiresAt: c.expiresAt,
            exporting: c.exporting,
            importer: c.importer,
            importing: c.importing,
            parcels: c.parcels,
            recordedAt: uint40(block.timestamp),
            centicarats: c.centicarats,
            drawn: 0,
            valueUsd: c.valueUsd,
            authority: msg.sender,
            document: c.document
        });
        emit CertificateRecorded(
            id, c.number, c.exporter, c.exporting, c.importing, c.importer, c.centicarats, c.expiresAt, msg.sender
        );
    }

    /// @inheritdoc IKimberleyCertificates
    function certificateId(bytes2 exporting, bytes32 number) external view returns (uint32) {
        return _ids[exporting][number];
    }

    /// @inheritdoc IKimberleyCertificates
    function certificate(uint32 id) external view returns (Certificate memory) {
        CertificateRecord storage c = _certificates[id];
        if (id == 0 || id > _count) revert UnknownCertificate(0, 0);
        return Certificate({
            declared: CertificateInput({
                number: c.number,
                exporting: c.exporting,
                importing: c.importing,
                exporter: c.exporter,
                importer: c.importer,
                issuedAt: c.issuedAt,
                expiresAt: c.expiresAt,
                centicarats: c.centicarats,
                valueUsd: c.valueUsd,
                parcels: c.parcels,
                document: c.document
            }),
            authority: c.authority,
            recordedAt: c.recordedAt,
            drawnCenticarats: c.drawn
        });
    }

    /// @inheritdoc IKimberleyCertificates
    function certificateCount() external view returns (uint32) {
        return _count;
    }

    /// @inheritdoc IKimberleyCertificates
    function crossingCertificate(uint256 tokenId) external view returns (uint32) {
        return _crossing[tokenId];
    }

    /// @inheritdoc IKimberleyCertificates
    function drawForCrossing(
        bytes2 exporting,
        bytes32 number,
        address exporter,
        address importer,
        bytes2 importing,
        uint256 tokenId,
        uint32 centicarats,
        uint32 batchCertificate
    ) external onlyRegistry returns (uint32 id) {
        CertificateRecord storage c;
        (id, c) = _usable(exporting, number, exporter);
        if (c.importer != importer || c.importing != importing) revert CertificateMismatch(number, exporter, importer);
        uint32 drawnFrom = _crossing[tokenId];
        if ((drawnFrom == 0 ? batchCertificate : drawnFrom) == id) return id;
        _crossing[tokenId] = id;
        emit CertificateDrawn(id, tokenId, centicarats, _draw(c, centicarats));
    }

    /// @inheritdoc IKimberleyCertificates
    function drawForBatch(bytes2 exporting, bytes32 number, address exporter, uint32 batch, uint64 centicarats)
        external
        onlyRegistry
        returns (uint32 id)
    {
        CertificateRecord storage c;
        (id, c) = _usable(exporting, number, exporter);
        emit CertificateDrawnByBatch(id, batch, centicarats, _draw(c, centicarats));
    }

    /// @dev A recorded certificate of `exporting`, inside its validity period, whose exporter is `exporter`.
    function _usable(bytes2 exporting, bytes32 number, address exporter)
        private
        view
        returns (uint32 id, CertificateRecord storage c)
    {
        id = _ids[exporting][number];
        if (id == 0) revert UnknownCertificate(exporting, number);
        c = _certificates[id];
        if (c.exporter != exporter) revert NotExporter(number, exporter);
        if (block.timestamp < c.issuedAt || block.timestamp > c.expiresAt) {
            revert CertificateNotValid(number, c.issuedAt, c.expiresAt);
        }
    }

    /// @dev Draws `weight` from certificate `c`, never past its declared weight.
    function _draw(CertificateRecord storage c, uint64 weight) private returns (uint64 drawn) {
        drawn = c.drawn + weight;
        if (drawn > c.centicarats) revert CertificateOverdrawn(c.number, c.centicarats, c.drawn, weight);
        c.drawn = drawn;
    }
}
