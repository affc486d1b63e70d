// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDiamondTraceErrors} from "./IDiamondTraceErrors.sol";

/// @title IKimberleyCertificates: the registry's book of Kimberley Process certificates
/// @notice A KP certificate covers one shipment of rough diamonds from an exporter in one country
/// to an importer in another. KP authorities record certificates here; the registry draws each
/// rough stone's weight from the certificate it crosses a border under (or is registered under),
/// never past the declared weight. Certificates are keyed by exporting country and number, so
/// two countries may use the same number. Deployed by the registry, which alone may draw.
/// @dev Weights in centicarats (0.01 ct); countries as two upper-case ASCII bytes; times in unix seconds.
interface IKimberleyCertificates is IDiamondTraceErrors {
    /// @notice A certificate as a KP authority records it.
    /// @param number the certificate's number (1..32 printable ASCII characters), unique per exporting country
    /// @param exporting the exporting country (the recording authority's own)
    /// @param importing the importing country
    /// @param exporter the participant that exports; the only one that may draw from the certificate
    /// @param importer the participant that imports
    /// @param issuedAt the date of issue
    /// @param expiresAt the date of expiry; nothing is drawn after it
    /// @param centicarats the declared carat weight; stones drawn can never weigh more in total
    /// @param valueUsd the declared value in US dollars
    /// @param parcels the number of parcels in the shipment
    /// @param document keccak-256 of the certificate document (the document stays off chain)
    struct CertificateInput {
        bytes32 number;
        bytes2 exporting;
        bytes2 importing;
        address exporter;
        address importer;
        uint40 issuedAt;
        uint40 expiresAt;
        uint64 centicarats;
        uint64 valueUsd;
        uint32 parcels;
        bytes32 document;
    }

    /// @notice A recorded certificate: the input, who recorded it, when, and how much is drawn.
    struct Certificate {
        CertificateInput declared;
        address authority;
        uint40 recordedAt;
        uint64 drawnCenticarats;
    }

    /// @notice Certificate `id` (`number` of `exporting`) was recorded by KP authority `authority`.
    event CertificateRecorded(
        uint32 indexed id,
        bytes32 indexed number,
        address indexed exporter,
        bytes2 exporting,
        bytes2 importing,
        address importer,
        uint64 centicarats,
        uint40 expiresAt,
        address authority
    );

    /// @notice Rough stone `tokenId` crossed a border under certificate `id`, drawing `centicarats`.
    event CertificateDrawn(uint32 indexed id, uint256 indexed tokenId, uint32 centicarats, uint64 drawnTotal);

    /// @notice Registration batch `batch` was registered under certificate `id`, drawing `centicarats`.
    event CertificateDrawnByBatch(uint32 indexed id, uint32 indexed batch, uint64 centicarats, uint64 drawnTotal);

    /// @notice Records a certificate. Caller: an accredited KP authority of the exporting country,
    /// while the registry is not paused.
    /// @return id the certificate's id (numbered from 1)
    function recordCertificate(CertificateInput calldata input) external returns (uint32 id);

    /// @notice The id of certificate `number` of exporting country `exporting`, or zero.
    function certificateId(bytes2 exporting, bytes32 number) external view returns (uint32);

    /// @notice Certificate `id`; reverts with `UnknownCertificate` if there is none.
    function certificate(uint32 id) external view returns (Certificate memory);

    /// @notice How many certificates are recorded (ids run from 1 to this).
    function certificateCount() external view returns (uint32);

    /// @notice The certificate rough stone `tokenId` last crossed a border under, or zero.
    function crossingCertificate(uint256 tokenId) external view returns (uint32);

    /// @notice The registry this book belongs to.
    function registry() external view returns (address);

    /// @notice Draws rough stone `tokenId` (`centicarats`) from certificate `number` of `exporting`
    /// for its crossing from `exporter` to `importer` in `importing`; a stone already drawn from
    /// it (its last crossing's, or else `batchCertificate`, the one its batch was registered
    /// under) is not drawn twice. Registry only.
    /// @return id the certificate's id
    function drawForCrossing(
        bytes2 exporting,
        bytes32 number,
        address exporter,
        address importer,
        bytes2 importing,
        uint256 tokenId,
        uint32 centicarats,
        uint32 batchCertificate
    ) external returns (uint32 id);

    /// @notice Draws registration batch `batch` (`centicarats` in all), registered by `exporter`,
    /// from certificate `number` of `exporting`. Registry only.
    /// @return id the certificate's id
    function drawForBatch(bytes2 exporting, bytes32 number, address exporter, uint32 batch, uint64 centicarats)
        external
        returns (uint32 id);
}
