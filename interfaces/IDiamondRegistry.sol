// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IDiamondRegistry: the public face of the DiamondTrace registry
/// @notice Every diamond is one ERC-721 token whose id is the producer's stone ID (1..32 printable
/// ASCII characters, left-aligned and zero-padded in 32 bytes). The registry keeps each stone's
/// origin, weight, Kimberley Process (KP) certificate, lineage (rough to polished), grading reports
/// and a custody history that anyone can rebuild from events and check against on-chain state.
/// @dev Weights are in centicarats (0.01 ct). Countries are ISO 3166-1 alpha-2 codes as two
/// upper-case ASCII bytes (`"BW"`). Days are days since 1970-01-01 (UTC). Times are unix seconds.
interface IDiamondRegistry {
    /*//////////////////////////////////////////////////////////////
                                  TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Whether a stone is rough (as mined) or polished (cut from a rough stone).
    enum Kind {
        Rough,
        Polished
    }

    /// @notice Where a stone stands: in the trade (moves only between accredited participants),
    /// retailed (sold to a consumer; moves freely), or split (retired into polished stones, never moves).
    enum Status {
        InTrade,
        Retailed,
        Split
    }

    /// @notice A holder's report that a stone is stolen or lost; a flagged stone cannot move.
    enum Flag {
        None,
        Stolen,
        Lost
    }

    /// @notice What a custody record says happened. `Transfer` is a plain ERC-721 transfer that
    /// named no action.
    enum Action {
        Transfer,
        Sale,
        Consignment,
        Export,
        Import,
        Manufacturing,
        Grading,
        RetailSale,
        Return
    }

    /// @notice What a producer declares once for a whole batch of its mine output.
    /// @param to the accredited participant that receives the stones (usually the producer itself)
    /// @param mine the mine's name, 1..32 characters of printable ASCII
    /// @param country the country of origin
    /// @param productionDay the day the stones were recovered; never in the future
    /// @param kind rough or polished
    /// @param certificate the KP certificate the stones ship under, or zero for none yet
    struct BatchInput {
        address to;
        bytes32 mine;
        bytes2 country;
        uint24 productionDay;
        Kind kind;
        bytes32 certificate;
    }

    /// @notice A registration batch: a producer's registration, or a manufacturer's split.
    /// @param registrant the producer (or, for a split, the manufacturer)
    /// @param registeredAt block time of the registration
    /// @param productionDay see {BatchInput}; zero for a split
    /// @param country the country of origin; zero for a split (children inherit their root's)
    /// @param kind rough or polished
    /// @param mine the mine; zero for a split
    /// @param certificate the KP certificate named at registration, or zero
    /// @param parent for a split, the rough stone that was cut; zero otherwise
    struct Batch {
        address registrant;
        uint40 registeredAt;
        uint24 productionDay;
        bytes2 country;
        Kind kind;
        bytes32 mine;
        bytes32 certificate;
        uint256 parent;
    }

    /// @notice A Kimberley Process certificate as a KP authority records it.
    /// @param number the certificate's unique number (it carries the exporting country's code)
    /// @param exporting the exporting country
    /// @param importing the importing country
    /// @param exporter the accredited participant that exports
    /// @param importer the accredited participant that imports
    /// @param issuedAt the date of issue
    /// @param expiresAt the date of expiry; the certificate cannot be attached or used after it
    /// @param centicarats the declared carat weight; stones attached can never weigh more in total
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

    /// @notice A recorded KP certificate: the input plus who recorded it and how much is drawn.
    struct Certificate {
        CertificateInput declared;
        address authority;
        uint40 recordedAt;
        uint64 drawnCenticarats;
    }

    /// @notice A laboratory's grading report as the lab submits it.
    /// @param reportNumber the lab's report number, unique per lab
    /// @param centicarats the graded weight
    /// @param colour e.g. "D" .. "Z" or "Fancy Yellow"
    /// @param clarity e.g. "FL", "IF", "VVS1" .. "I3"
    /// @param cut e.g. "Excellent" .. "Poor"
    /// @param labGrown true when the lab found the stone laboratory-grown
    /// @param document keccak-256 of the report document
    struct GradingInput {
        bytes32 reportNumber;
        uint32 centicarats;
        bytes8 colour;
        bytes8 clarity;
        bytes16 cut;
        bool labGrown;
        bytes32 document;
    }

    /// @notice A recorded grading report. Newer reports supersede older ones; none is ever erased.
    struct GradingReport {
        GradingInput report;
        address lab;
        uint40 issuedAt;
    }

    /// @notice A holder's EIP-712 authorization to move a stone, submitted by anyone.
    /// @param tokenId the stone
    /// @param to the recipient
    /// @param action the custody action to record
    /// @param document keccak-256 of the invoice or other document, or zero
    /// @param certificate the KP certificate for a cross-border move of a rough stone, or zero
    /// @param nonce the holder's current nonce ({nonces}); each authorization is single-use
    /// @param deadline the last block time at which the authorization may be used
    struct CustodyAuthorization {
        uint256 tokenId;
        address to;
        Action action;
        bytes32 document;
        bytes32 certificate;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice An accredited participant (roles zero: not, or no longer, accredited).
    struct Participant {
        uint8 roles;
        bytes2 country;
        string name;
    }

    /// @notice Everything the registry knows about a stone, in one read.
    /// @param stoneId the producer's stone ID
    /// @param holder the current holder
    /// @param custodyCount how many custody records (changes of holder) the stone has
    /// @param commitment the custody commitment after the last record (20 bits; see {custodyState})
    /// @param certificate the KP certificate the stone (or, for polished stones, its rough
    /// ancestor) is attached to, or zero
    /// @param parent the rough stone a polished stone was cut from, or zero
    /// @param labGrown whether the newest grading report found the stone laboratory-grown
    /// @param gradingCount how many grading reports the stone has
    struct Stone {
        uint256 tokenId;
        string stoneId;
        address holder;
        uint32 centicarats;
        Kind kind;
        Status status;
        Flag flag;
        uint32 batch;
        uint16 custodyCount;
        uint24 commitment;
        Action lastAction;
        bytes32 certificate;
        uint256 parent;
        bool labGrown;
        uint256 gradingCount;
    }

    /// @notice Registry-wide counts for an explorer's front page.
    /// @param stones tokens ever registered or split off
    /// @param centicarats weight registered at source (splits are not counted twice)
    /// @param participants currently accredited participants
    /// @param batches registration batches and splits
    /// @param certificates KP certificates recorded
    struct Totals {
        uint64 stones;
        uint64 centicarats;
        uint32 participants;
        uint32 batches;
        uint32 certificates;
    }

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `account` was accredited (or its profile updated) with `roles` in `country`.
    event ParticipantAccredited(address indexed account, uint8 roles, bytes2 country, string name);

    /// @notice `account` lost its accreditation; stones it holds in the trade cannot move.
    event ParticipantRevoked(address indexed account);

    /// @notice KP certificate `number` was recorded by a KP authority.
    event CertificateRecorded(
        bytes32 indexed number,
        address indexed exporter,
        address indexed importer,
        bytes2 exporting,
        bytes2 importing,
        uint64 centicarats,
        uint40 expiresAt,
        address authority
    );

    /// @notice Stone `tokenId` was attached to certificate `number`, drawing `centicarats` from it.
    event CertificateDrawn(bytes32 indexed number, uint256 indexed tokenId, uint32 centicarats, uint64 drawnTotal);

    /// @notice Batch `batch` of `stones` stones weighing `centicarats` in all was registered by
    /// `producer` as declared in `input`. Each stone also has its ERC-721 `Transfer` from the zero
    /// address, in the same transaction.
    event BatchRegistered(
        uint32 indexed batch,
        address indexed producer,
        bytes32 indexed certificate,
        BatchInput input,
        uint256 stones,
        uint64 centicarats
    );

    /// @notice A custody record: stone `tokenId` passed from `from` to `to`. `commitment` is the
    /// stone's custody commitment after this record, chained from the one before (zero at
    /// registration): `uint256(keccak256(abi.encode(previous, tokenId, from, to, action, document,
    /// certificate, block.timestamp))) & 0xfffff`. Records are numbered 1, 2, ... in log order.
    event CustodyTransferred(
        uint256 indexed tokenId,
        address indexed from,
        address indexed to,
        Action action,
        bytes32 document,
        bytes32 certificate,
        uint24 commitment
    );

    /// @notice Rough stone `parent` was split by `manufacturer` into `children` (registration batch `batch`).
    event StoneSplit(uint256 indexed parent, uint32 indexed batch, address indexed manufacturer, uint256[] children);

    /// @notice Lab `lab` graded stone `tokenId` with report `reportNumber`.
    event StoneGraded(uint256 indexed tokenId, address indexed lab, bytes32 indexed reportNumber, GradingInput report);

    /// @notice The holder `by` flagged stone `tokenId` stolen or lost.
    event StoneFlagged(uint256 indexed tokenId, address indexed by, Flag flag);

    /// @notice An admin (`by`) cleared the stolen or lost flag of stone `tokenId`.
    event FlagCleared(uint256 indexed tokenId, address indexed by);

    /// @notice ERC-4906: the metadata (`tokenURI`) of `_tokenId` changed.
    event MetadataUpdate(uint256 _tokenId);

    /// @notice A free-text description of stone `tokenId` from its holder (kept in the log, not in storage).
    event StoneDescribed(uint256 indexed tokenId, address indexed by, string description);

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The registry cannot be left without an admin.
    error AdminRequired();
    /// @notice `account` lacks participant role `role`.
    error MissingRole(address account, uint8 role);
    /// @notice `account` is not an accredited participant.
    error NotAccredited(address account);
    /// @notice `roles` is empty or has bits that are not roles.
    error InvalidRoles(uint8 roles);
    /// @notice `country` is not two upper-case letters.
    error InvalidCountry(bytes2 country);
    /// @notice An address that must be set is zero.
    error ZeroAddress();
    /// @notice A batch must hold at least one stone.
    error EmptyBatch();
    /// @notice A batch of `size` stones exceeds `max`, the most that fit one transaction under the
    /// EIP-7825 cap of 16,777,216 gas; nothing was registered.
    error BatchTooLarge(uint256 size, uint256 max);
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
    /// @notice Certificate `number` is already recorded.
    error CertificateExists(bytes32 number);
    /// @notice Certificate `number` was never recorded.
    error UnknownCertificate(bytes32 number);
    /// @notice A certificate field is malformed (number not 1..32 printable ASCII characters, zero
    /// weight or parcels, expiry not after issue).
    error InvalidCertificate(bytes32 number);
    /// @notice `authority` may only record certificates for exports from its own country.
    error NotExportingAuthority(address authority, bytes2 exporting);
    /// @notice Certificate `number` is expired, or not yet issued, at the current block time.
    error CertificateNotValid(bytes32 number, uint40 issuedAt, uint40 expiresAt);
    /// @notice Drawing `requested` centicarats would exceed certificate `number`'s declared weight.
    error CertificateOverdrawn(bytes32 number, uint64 declared, uint64 drawn, uint64 requested);
    /// @notice Certificate `number` does not cover a move from `from` to `to` (parties or countries differ).
    error CertificateMismatch(bytes32 number, address from, address to);
    /// @notice Rough stone `tokenId` crosses from `fromCountry` to `toCountry` without a KP certificate.
    error CrossBorderWithoutCertificate(uint256 tokenId, bytes2 fromCountry, bytes2 toCountry);
    /// @notice Stone `tokenId` is not rough.
    error NotRough(uint256 tokenId);
    /// @notice Stone `tokenId` was split and is retired; it can never move or change again.
    error StoneRetired(uint256 tokenId);
    /// @notice Stone `tokenId` is flagged stolen or lost and cannot move until an admin clears it.
    error StoneIsFlagged(uint256 tokenId, Flag flag);
    /// @notice A stone in the trade may only go to an accredited participant, or be retail-sold by a retailer.
    error RecipientNotAccredited(address to);
    /// @notice A stone in the trade may only move from an accredited holder.
    error HolderNotAccredited(address from);
    /// @notice A custody record needs a change of holder.
    error NoChangeOfHolder(uint256 tokenId);
    /// @notice `account` does not hold stone `tokenId`.
    error NotHolder(address account, uint256 tokenId);
    /// @notice The children would weigh `children` centicarats, more than the parent's `parent`.
    error ChildrenOutweighParent(uint256 parentId, uint64 parent, uint64 children);
    /// @notice `lab` already issued report `reportNumber`.
    error ReportExists(address lab, bytes32 reportNumber);
    /// @notice A grading report needs a weight, and a number, colour, clarity and cut in printable ASCII.
    error InvalidReport(bytes32 reportNumber);
    /// @notice Stone `tokenId` is already flagged.
    error AlreadyFlagged(uint256 tokenId, Flag flag);
    /// @notice Stone `tokenId` is not flagged.
    error NotFlagged(uint256 tokenId);
    /// @notice The flag must be `Stolen` or `Lost`.
    error InvalidFlag();
    /// @notice The authorization's deadline has passed.
    error AuthorizationExpired(uint256 deadline);
    /// @notice The authorization's nonce is not the holder's current nonce (used, or out of order).
    error InvalidNonce(address holder, uint256 expected, uint256 given);
    /// @notice The signature is not the holder's for this authorization, registry and chain.
    error InvalidSignature(address holder);
    /// @notice Stone `tokenId` has the most custody records the registry can count (65,535).
    error CustodyHistoryFull(uint256 tokenId);
    /// @notice The stone ID (as its token id) is not 1..32 printable ASCII characters without spaces.
    error InvalidStoneId(uint256 tokenId);

    /*//////////////////////////////////////////////////////////////
                               PARTICIPANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Accredits `account` with `roles` (a bit set of the role constants) in `country`,
    /// or replaces its profile. Admin only.
    function accredit(address account, uint8 roles, bytes2 country, string calldata displayName) external;

    /// @notice Withdraws `account`'s accreditation. Admin only.
    function revoke(address account) external;

    /// @notice The participant profile of `account` (roles zero when not accredited).
    function participant(address account) external view returns (Participant memory);

    /*//////////////////////////////////////////////////////////////
                             KP CERTIFICATES
    //////////////////////////////////////////////////////////////*/

    /// @notice Records a KP certificate. Caller: a KP_AUTHORITY of the exporting country.
    function recordCertificate(CertificateInput calldata input) external;

    /// @notice Attaches the caller's rough stones `tokenIds` to certificate `number`, drawing their
    /// weight from it. Caller: the holder of every stone, and the certificate's exporter.
    function attachCertificate(bytes32 number, uint256[] calldata tokenIds) external;

    /// @notice KP certificate `number`; reverts with `UnknownCertificate` if it was never recorded.
    function certificate(bytes32 number) external view returns (Certificate memory);

    /*//////////////////////////////////////////////////////////////
                               REGISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers a batch of stones from the caller's mine output. Caller: a PRODUCER.
    /// Reverts before any work with `BatchTooLarge` if more than {MAX_BATCH} stones are given.
    /// @param input what the stones share (recipient, mine, country, production day, kind, certificate)
    /// @param tokenIds the stones' token ids (their stone IDs; see {tokenIdOf})
    /// @param centicarats each stone's weight, in the same order
    /// @return batchId the new batch's number
    function register(BatchInput calldata input, uint256[] calldata tokenIds, uint32[] calldata centicarats)
        external
        returns (uint32 batchId);

    /// @notice Records free-text descriptions of stones the caller holds (in events only).
    function describe(uint256[] calldata tokenIds, string[] calldata descriptions) external;

    /// @notice Which of `tokenIds` are registered, in one call, so a client can check a whole
    /// production run before sending anything. The answer lists only the stones found (a fresh
    /// run's is empty): each one's position in `tokenIds`, its batch and its weight.
    /// @return found positions in `tokenIds` of the registered stones, ascending
    /// @return batches each found stone's batch
    /// @return centicarats each found stone's weight
    function registrations(uint256[] calldata tokenIds)
        external
        view
        returns (uint256[] memory found, uint32[] memory batches, uint32[] memory centicarats);

    /// @notice The most stones one {register} or {split} call accepts.
    function MAX_BATCH() external view returns (uint256);

    /// @notice The heaviest stone the registry can record, in centicarats.
    function MAX_CENTICARATS() external view returns (uint256);

    /// @notice Registration batch `batchId`.
    function batch(uint32 batchId) external view returns (Batch memory);

    /// @notice The token id of stone ID `stoneId` (its bytes, left-aligned); reverts if malformed.
    function tokenIdOf(string calldata stoneId) external pure returns (uint256);

    /// @notice The stone ID held in token id `tokenId`.
    function stoneIdOf(uint256 tokenId) external pure returns (string memory);

    /*//////////////////////////////////////////////////////////////
                                 CUSTODY
    //////////////////////////////////////////////////////////////*/

    /// @notice Moves stone `tokenId` from its holder to `to` and records the custody change with
    /// its `action`, `document` hash and, for a cross-border move of a rough stone, KP
    /// `certificate`. The caller must be the holder or approved, as for `transferFrom`; like
    /// `transferFrom`, it does not call `onERC721Received`.
    function custodyTransfer(address to, uint256 tokenId, Action action, bytes32 document, bytes32 certificateNumber)
        external;

    /// @notice Executes a holder's signed {CustodyAuthorization}; anyone may submit it and pay.
    /// Every rule of {custodyTransfer} applies. Contract wallets sign through ERC-1271.
    function custodyTransferWithAuthorization(CustodyAuthorization calldata authorization, bytes calldata signature)
        external;

    /// @notice Spends the caller's current nonce, cancelling any authorization signed with it.
    function useNonce() external returns (uint256 spent);

    /// @notice The nonce the next authorization signed by `holder` must carry.
    function nonces(address holder) external view returns (uint256);

    /// @notice The EIP-712 digest a holder signs for `authorization` on this registry and chain.
    function authorizationDigest(CustodyAuthorization calldata authorization) external view returns (bytes32);

    /// @notice The on-chain anchor of stone `tokenId`'s custody history: rebuild the history from
    /// {CustodyTransferred} events and compare its length, final commitment and last action.
    function custodyState(uint256 tokenId)
        external
        view
        returns (address holder, uint16 custodyCount, uint24 commitment, Action lastAction);

    /*//////////////////////////////////////////////////////////////
                           LINEAGE AND GRADING
    //////////////////////////////////////////////////////////////*/

    /// @notice Splits rough stone `parentId`, held by the caller, into polished stones minted to
    /// the caller; the parent is retired. Caller: a MANUFACTURER. The children's weights together
    /// may not exceed the parent's.
    function split(uint256 parentId, uint256[] calldata childIds, uint32[] calldata centicarats)
        external
        returns (uint32 batchId);

    /// @notice The stone `tokenId` was cut from, or zero for a stone registered at source (ERC-6150).
    function parentOf(uint256 tokenId) external view returns (uint256);

    /// @notice The stones cut from `tokenId` (ERC-6150).
    function childrenOf(uint256 tokenId) external view returns (uint256[] memory);

    /// @notice Whether `tokenId` was registered at source rather than cut from another stone (ERC-6150).
    function isRoot(uint256 tokenId) external view returns (bool);

    /// @notice The original stone registered at source that `tokenId` descends from (itself if a root).
    function rootOf(uint256 tokenId) external view returns (uint256);

    /// @notice Records a grading report for stone `tokenId`. Caller: a LAB.
    function grade(uint256 tokenId, GradingInput calldata report) external;

    /// @notice Every grading report of stone `tokenId`, oldest first (the last one is current).
    function gradingReports(uint256 tokenId) external view returns (GradingReport[] memory);

    /*//////////////////////////////////////////////////////////////
                          FLAGS, PAUSE AND VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Flags stone `tokenId` stolen or lost. Caller: its holder. Works while paused.
    function flag(uint256 tokenId, Flag reason) external;

    /// @notice Clears the flag of stone `tokenId`. Admin only.
    function clearFlag(uint256 tokenId) external;

    /// @notice Sends the admin any ether sent to the registry by mistake (Solady's ERC-721 transfer
    /// and approval functions are payable, to save gas), to return to its sender. Admin only.
    function recoverEther() external;

    /// @notice Stops every registration, custody change, split, grading and attachment. Admin only.
    function pause() external;

    /// @notice Lifts {pause}. Admin only.
    function unpause() external;

    /// @notice Everything the registry knows about stone `tokenId`.
    function stone(uint256 tokenId) external view returns (Stone memory);

    /// @notice Registry-wide counts.
    function totals() external view returns (Totals memory);

    /// @notice The contract that renders {tokenURI}.
    function renderer() external view returns (address);
}
