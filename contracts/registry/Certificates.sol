// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondRegistry} from "../../interfaces/IDiamondRegistry.sol";
import {Participants} from "./Participants.sol";
import {Ascii32} from "../libraries/Ascii32.sol";
import {ParticipantAux} from "../libraries/ParticipantAux.sol";
import {StoneRecord} from "../libraries/StoneRecord.sol";

/// @title Certificates: Kimberley Process certificates and the stones drawn against them
/// @notice A certificate covers a shipment of rough diamonds between an exporter and an importer.
/// Stones are attached at registration, later by their holder, or by the cross-border move that
/// names the certificate. Their weight is drawn from the certificate's declared weight, which can
/// never be exceeded, and nothing can be attached to an expired certificate.
abstract contract Certificates is Participants {
    using ParticipantAux for uint224;

    /// @dev Six slots; a cross-border move reads the middle three.
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

    /// @dev Indexed from 1, so zero means "none" in batches and stones.
    mapping(uint32 => CertificateRecord) internal _certificates;
    mapping(bytes32 => uint32) internal _certificateIndex;
    /// @dev A stone's certificate once it is attached after registration (else its batch's).
    mapping(uint256 => uint32) internal _stoneCertificate;

    /// @inheritdoc IDiamondRegistry
    function recordCertificate(CertificateInput calldata c) external {
        _requireRole(msg.sender, ParticipantAux.KP_AUTHORITY);
        if (_getAux(msg.sender).country() != c.exporting) revert NotExportingAuthority(msg.sender, c.exporting);
        if (!Ascii32.isText(c.number) || c.centicarats == 0 || c.parcels == 0 || c.expiresAt <= c.issuedAt) {
            revert InvalidCertificate(c.number);
        }
        _requireCountry(c.importing);
        if (c.exporter == address(0) || c.importer == address(0)) revert ZeroAddress();
        if (_certificateIndex[c.number] != 0) revert CertificateExists(c.number);

        uint32 index = ++_totals.certificates;
        _certificateIndex[c.number] = index;
        _certificates[index] = CertificateRecord({
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
            c.number, c.exporter, c.importer, c.exporting, c.importing, c.centicarats, c.expiresAt, msg.sender
        );
    }

    /// @inheritdoc IDiamondRegistry
    function attachCertificate(bytes32 number, uint256[] calldata tokenIds) external whenNotPaused {
        (uint32 index, CertificateRecord storage c) = _usableCertificate(number);
        if (c.exporter != msg.sender) revert CertificateMismatch(number, msg.sender, c.importer);
        for (uint256 i; i < tokenIds.length; ++i) {
            uint256 tokenId = tokenIds[i];
            if (_ownerOf(tokenId) != msg.sender) revert NotHolder(msg.sender, tokenId);
            StoneRecord.Record memory r = _record(tokenId);
            _requireActive(tokenId, r);
            if (_kindOf(r) != Kind.Rough) revert NotRough(tokenId);
            _attach(tokenId, r, index, c);
        }
    }

    /// @inheritdoc IDiamondRegistry
    function certificate(bytes32 number) external view returns (Certificate memory) {
        uint32 index = _certificateIndex[number];
        if (index == 0) revert UnknownCertificate(number);
        CertificateRecord storage c = _certificates[index];
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

    /// @dev A recorded certificate inside its validity period.
    function _usableCertificate(bytes32 number) internal view returns (uint32 index, CertificateRecord storage c) {
        index = _certificateIndex[number];
        if (index == 0) revert UnknownCertificate(number);
        c = _certificates[index];
        if (block.timestamp < c.issuedAt || block.timestamp > c.expiresAt) {
            revert CertificateNotValid(number, c.issuedAt, c.expiresAt);
        }
    }

    /// @dev Draws `weight` from certificate `c`, never past its declared weight.
    function _draw(CertificateRecord storage c, uint64 weight) internal returns (uint64 drawn) {
        drawn = c.drawn + weight;
        if (drawn > c.centicarats) revert CertificateOverdrawn(c.number, c.centicarats, c.drawn, weight);
        c.drawn = drawn;
    }

    /// @dev Attaches one stone (already checked to be active and rough); a stone already attached
    /// to this certificate is not drawn twice.
    function _attach(uint256 tokenId, StoneRecord.Record memory r, uint32 index, CertificateRecord storage c)
        internal
    {
        if (_certificateOf(tokenId, r) == index) return;
        uint64 drawn = _draw(c, r.centicarats);
        _stoneCertificate[tokenId] = index;
        emit CertificateDrawn(c.number, tokenId, r.centicarats, drawn);
        emit MetadataUpdate(tokenId);
    }

    /// @dev The certificate a stone is attached to: its own, else its batch's, else (for a
    /// polished stone) its parent's.
    function _certificateOf(uint256 tokenId, StoneRecord.Record memory r) internal view returns (uint32) {
        uint32 own = _stoneCertificate[tokenId];
        if (own != 0) return own;
        BatchRecord storage b = _batches[r.batch];
        if (b.lineage == address(0)) return b.certificate;
        uint256 parent = _parentOfBatch(b);
        return _certificateOf(parent, StoneRecord.unpack(_getExtraData(parent)));
    }

    function _parentOfBatch(BatchRecord storage b) internal view virtual returns (uint256);

    function _certificateNumber(uint32 index) internal view returns (bytes32) {
        return index == 0 ? bytes32(0) : _certificates[index].number;
    }
}
