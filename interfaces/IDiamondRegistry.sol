// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDiamondTraceErrors} from "./IDiamondTraceErrors.sol";
import {IGradingBook} from "./IGradingBook.sol";
import {IKimberleyCertificates} from "./IKimberleyCertificates.sol";

/// @title IDiamondRegistry: the public face of the DiamondTrace registry (v2)
/// @notice Every diamond is one ERC-721 token whose id is its stone ID (1..32 printable ASCII
/// characters, left-aligned and zero-padded in 32 bytes), which starts with its registrant's
/// prefix. The registry keeps each stone's origin, weight, jurisdiction and Kimberley Process (KP)
/// certificates, lineage (rough to polished), grading reports, the WDC System of Warranties and
/// RJC certification along its path, and a custody history that anyone can rebuild from events and
/// check, at 128-bit strength, against on-chain state.
/// @dev Weights are in centicarats (0.01 ct). Countries are assigned ISO 3166-1 alpha-2 codes as
/// two upper-case ASCII bytes (`"BW"`). Days are days since 1970-01-01 (UTC). Times are unix seconds.
interface IDiamondRegistry is IDiamondTraceErrors {
    /*//////////////////////////////////////////////////////////////
                                  TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Whether a stone is rough (as mined) or polished (cut, or entered polished).
    enum Kind {
        Rough,
        Polished
    }

    /// @notice How a stone entered the registry: registered by its producer at the mine, cut from
    /// a registered rough stone, or entered by a manufacturer with a declared origin (a stone made
    /// before the registry: its origin is declared, not traced from the mine).
    enum Origin {
        Mine,
        Split,
        Declared
    }

    /// @notice Where a stone stands: in the trade (moves only between accredited participants),
    /// retailed (sold to a consumer; moves freely), or split (retired into polished stones, never moves).
    enum Status {
        InTrade,
        Retailed,
        Split
    }

    /// @notice A report that a stone is stolen or lost; a flagged stone cannot move.
    enum Flag {
        None,
        Stolen,
        Lost
    }

    /// @notice What a custody record says happened. `Transfer` is a plain ERC-721 transfer that
    /// named no action; `Recovery` is the admin's move of a revoked participant's stone to its
    /// named successor.
    enum Action {
        Transfer,
        Sale,
        Consignment,
        Export,
        Import,
        Manufacturing,
        Grading,
        RetailSale,
        Return,
        Recovery
    }

    /// @notice What a producer declares once for a batch of its mine output.
    /// @param to the participant that receives the stones: the producer itself or a participant
    /// accredited in the same country (with a certificate: the producer itself, its exporter)
    /// @param mine the mine's name, 1..32 characters of printable ASCII
    /// @param country the country of origin: the producer's own accredited country
    /// @param productionDay the day the stones were recovered; never in the future
    /// @param labGrown the stones are laboratory-grown rough (outside the Kimberley Process)
    /// @param certificate the number of the producer's own KP export certificate the stones ship
    /// under, drawn now, or zero
    struct BatchInput {
        address to;
        bytes32 mine;
        bytes2 country;
        uint24 productionDay;
        bool labGrown;
        bytes32 certificate;
    }

    /// @notice What a manufacturer declares for a batch of polished stones that predate the registry.
    /// @param mine the declared mine, or a description such as "Unknown" (1..32 printable ASCII)
    /// @param country the declared country of origin, or zero if unknown
    /// @param labGrown the stones are laboratory-grown
    struct DeclarationInput {
        bytes32 mine;
        bytes2 country;
        bool labGrown;
    }

    /// @notice A registration batch: a producer's registration, a split, or a declared-origin entry.
    /// @param registrant the producer, the manufacturer that split, or the manufacturer that declared
    /// @param registeredBlock the block of the registration
    /// @param productionDay the day of recovery at the mine; zero for other origins
    /// @param country the country of origin (declared, for a declared-origin entry); zero for a split
    /// @param origin how the stones entered the registry
    /// @param labGrown the producer (or declaring manufacturer) registered them as laboratory-grown
    /// @param mine the mine (declared, for a declared-origin entry); zero for a split
    /// @param certificate the KP certificate id the batch was registered under, or zero
    /// @param parent for a split, the rough stone that was cut; zero otherwise
    struct Batch {
        address registrant;
        uint40 registeredBlock;
        uint24 productionDay;
        bytes2 country;
        Origin origin;
        bool labGrown;
        bytes32 mine;
        uint32 certificate;
        uint256 parent;
    }

    /// @notice A holder's EIP-712 authorization to move a stone, submitted by anyone.
    /// @param tokenId the stone
    /// @param holder the signer, who must hold the stone when the authorization is used
    /// @param to the recipient
    /// @param action the custody action to record
    /// @param document keccak-256 of the invoice or other document, or zero
    /// @param certificate the KP certificate number for a cross-border move of a rough stone, or zero
    /// @param warranty the invoice carries the WDC System of Warranties statement
    /// @param nonce the holder's current nonce ({nonces}); each authorization is single-use
    /// @param lastRecordBlock the stone's `lastRecordBlock` when signed: once the stone has moved
    /// again the authorization is void, so it cannot revive when the stone comes back
    /// @param deadline the last block time at which the authorization may be used
    struct CustodyAuthorization {
        uint256 tokenId;
        address holder;
        address to;
        Action action;
        bytes32 document;
        bytes32 certificate;
        bool warranty;
        uint256 nonce;
        uint256 lastRecordBlock;
        uint256 deadline;
    }

    /// @notice A participant's RJC Code of Practices certification as the admin recorded it.
    /// @param certificate the RJC certificate id (printable ASCII), or zero if never certified
    /// @param expiresAt the end of its validity; zero when withdrawn
    /// @param sinceBlock the block since which the participant has been certified without a gap
    /// @param current whether it is valid now
    struct RjcCertification {
        bytes32 certificate;
        uint40 expiresAt;
        uint32 sinceBlock;
        bool current;
    }

    /// @notice A participant (roles zero: not, or no longer, accredited).
    /// @param prefix the stone-ID prefix its registrations and splits carry, or zero
    /// @param successor for a revoked participant, who may receive its stones by recovery
    /// @param nonce the nonce its next custody authorization must carry
    struct Participant {
        uint8 roles;
        bytes2 country;
        string name;
        bytes32 prefix;
        address successor;
        uint64 nonce;
        RjcCertification rjc;
    }

    /// @notice Everything the registry knows about a stone, in one read.
    /// @param jurisdiction for a natural rough stone, the country it lies in (it leaves only under
    /// a KP certificate); zero for stones outside the Kimberley Process
    /// @param warranted every sale, export, import and retail sale (and plain transfer) in the
    /// trade since the stone entered the registry carried the WDC System of Warranties statement
    /// @param rjcCertified every holder in the trade was RJC-certified throughout its holding
    /// @param hasRecords the stone has at least one custody record
    /// @param lastRecordBlock the block of its latest custody record (its registration if none)
    /// @param certificate the KP certificate id in force: its latest crossing's, else its
    /// batch's, else (for a polished stone) its rough ancestor's; zero if none
    /// @param parent the rough stone a polished stone was cut from, or zero
    /// @param labGrown registered as laboratory-grown, or so found by the report in force
    struct Stone {
        uint256 tokenId;
        string stoneId;
        address holder;
        uint32 centicarats;
        Kind kind;
        Origin origin;
        Status status;
        Flag flag;
        uint32 batch;
        bytes2 jurisdiction;
        bool warranted;
        bool rjcCertified;
        bool hasRecords;
        uint32 lastRecordBlock;
        uint32 certificate;
        uint256 parent;
        bool labGrown;
        uint256 gradingCount;
    }

    /// @notice Registry-wide counts for an explorer's front page.
    /// @param stones tokens ever registered, split off or declared
    /// @param centicarats weight registered at the mine or declared (splits are not counted twice)
    /// @param participants currently accredited participants
    /// @param batches registration batches, splits and declarations
    struct Totals {
        uint64 stones;
        uint64 centicarats;
        uint32 participants;
        uint32 batches;
    }

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `account` was accredited (or its profile updated) with `roles` in `country`.
    event ParticipantAccredited(address indexed account, uint8 roles, bytes2 country, string name);

    /// @notice `account` lost its accreditation; the admin may recover its stones in the trade to `successor`.
    event ParticipantRevoked(address indexed account, address indexed successor);

    /// @notice `account` holds stone-ID prefix `prefix` for life.
    event PrefixAssigned(address indexed account, bytes32 prefix);

    /// @notice The admin recorded `account`'s RJC certification `certificate`, valid until
    /// `expiresAt` (zero: withdrawn), continuous since block `sinceBlock`.
    event RjcCertified(address indexed account, bytes32 certificate, uint40 expiresAt, uint32 sinceBlock);

    /// @notice Batch `batch` of `stones` stones weighing `centicarats` in all entered the registry
    /// by `registrant` into `to`'s custody. Each stone also has its ERC-721 `Transfer` from the zero
    /// address, in the same transaction.
    event BatchRegistered(
        uint32 indexed batch,
        address indexed registrant,
        Origin indexed origin,
        address to,
        bytes32 mine,
        bytes2 country,
        uint24 productionDay,
        bool labGrown,
        uint32 certificate,
        uint256 stones,
        uint64 centicarats
    );

    /// @notice A custody record: stone `tokenId` passed from `from` to `to`.
    /// `chains` is `fromChain << 128 | toChainBefore`: the sender's and the recipient's custody
    /// chains (see {accountChain}) just before this record. `record` packs, from bit 0: action (8);
    /// flags (8: bit 0 the invoice carries the SoW warranty, bit 1 the stone had a record before,
    /// bits 2 and 3 its SoW and RJC assurances after this record, bits 4 and 5 before it); the KP certificate
    /// id drawn (32); block time (40); the block of the stone's previous record or registration
    /// (32); the sender's last absorbed block (32); the recipient's previous absorbed block (32).
    /// The record's hash, `keccak256(abi.encode(tokenId, from, to, document, chains, record))`, is
    /// absorbed into the recipient's chain: `toChainAfter = uint128(uint256(keccak256(abi.encode(
    /// toChainBefore, recordHash))))`. See {custodyAnchor} for how a history is checked.
    event CustodyTransferred(
        uint256 indexed tokenId, address indexed to, address from, bytes32 document, uint256 chains, uint256 record
    );

    /// @notice Rough stone `parent` was split by `manufacturer` into `children` (registration batch `batch`).
    event StoneSplit(uint256 indexed parent, uint32 indexed batch, address indexed manufacturer, uint256[] children);

    /// @notice `by` (its holder, or the admin on the report `document`) flagged stone `tokenId` stolen or lost.
    event StoneFlagged(uint256 indexed tokenId, address indexed by, Flag flag, bytes32 document);

    /// @notice The admin (`by`) cleared the stolen or lost flag of stone `tokenId` on `document`.
    event FlagCleared(uint256 indexed tokenId, address indexed by, bytes32 document);

    /// @notice ERC-4906: the metadata (`tokenURI`) of `_tokenId` changed.
    event MetadataUpdate(uint256 _tokenId);

    /// @notice `by` described stone `tokenId` (kept in the log only). The registrant's description
    /// is given at registration; later ones are their authors' words, shown as such.
    event StoneDescribed(uint256 indexed tokenId, address indexed by, string description);

    /*//////////////////////////////////////////////////////////////
                               PARTICIPANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Accredits `account` with `roles` (a bit set of the role constants) in `country`, or
    /// replaces its roles and name. An address's country never changes. `prefix`, if not zero,
    /// gives the account its stone-ID prefix for life (no prefix may be the start of another).
    /// Admin only.
    function accredit(address account, uint8 roles, bytes2 country, string calldata displayName, bytes32 prefix)
        external;

    /// @notice Withdraws `account`'s accreditation, naming the `successor` (or zero) its stones in
    /// the trade may be recovered to; for an account already revoked, names a new successor.
    /// Admin only.
    function revoke(address account, address successor) external;

    /// @notice Records `account`'s RJC certification `certificate`, valid until `expiresAt`; an
    /// `expiresAt` in the past withdraws it. Admin only.
    function certifyRjc(address account, bytes32 certificate, uint40 expiresAt) external;

    /// @notice The participant profile of `account`.
    function participant(address account) external view returns (Participant memory);

    /*//////////////////////////////////////////////////////////////
                               REGISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers a batch of rough stones from the caller's mine output. Caller: a PRODUCER
    /// with a prefix, in the batch's country of origin. Reverts before any work with
    /// `BatchTooLarge` if more than {MAX_BATCH} stones are given.
    /// @param tokenIds the stones' token ids (their stone IDs; see {tokenIdOf}), each with the caller's prefix
    /// @param centicarats each stone's weight, in the same order
    /// @param descriptions the producer's description of each stone, or an empty list
    /// @return batchId the new batch's number
    function register(
        BatchInput calldata input,
        uint256[] calldata tokenIds,
        uint32[] calldata centicarats,
        string[] calldata descriptions
    ) external returns (uint32 batchId);

    /// @notice Enters polished stones made before the registry, into the caller's custody, marked
    /// "origin declared, not traced from the mine". Caller: a MANUFACTURER with a prefix.
    function declare(
        DeclarationInput calldata input,
        uint256[] calldata tokenIds,
        uint32[] calldata centicarats,
        string[] calldata descriptions
    ) external returns (uint32 batchId);

    /// @notice Records the caller's free-text descriptions of stones it holds (in events only),
    /// attributed to the caller; at most {MAX_DESCRIPTION} bytes each.
    function describe(uint256[] calldata tokenIds, string[] calldata descriptions) external;

    /// @notice Which of `tokenIds` are registered, in one call, so a client can check a whole
    /// production run before sending anything. The answer lists only the stones found (a fresh
    /// run's is empty): each one's position in `tokenIds`, its batch and its weight.
    function registrations(uint256[] calldata tokenIds)
        external
        view
        returns (uint256[] memory found, uint32[] memory batches, uint32[] memory centicarats);

    /// @notice The most stones one {register} or {declare} call accepts.
    function MAX_BATCH() external view returns (uint256);

    /// @notice The most children one {split} accepts (each costs more than a registration).
    function MAX_SPLIT() external view returns (uint256);

    /// @notice The heaviest stone the registry can record, in centicarats.
    function MAX_CENTICARATS() external view returns (uint256);

    /// @notice The longest description the registry accepts, in bytes.
    function MAX_DESCRIPTION() external view returns (uint256);

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
    /// its `action`, `document` hash, `warranty` (the invoice carries the WDC System of Warranties
    /// statement) and, for a rough stone crossing a border, its KP `certificateNumber` (of the
    /// country the stone lies in). The caller must be the holder or approved, as for
    /// `transferFrom`; like `transferFrom`, it does not call `onERC721Received`.
    function transferCustody(
        address to,
        uint256 tokenId,
        Action action,
        bytes32 document,
        bytes32 certificateNumber,
        bool warranty
    ) external;

    /// @notice Executes a holder's signed {CustodyAuthorization}; anyone may submit it and pay.
    /// Every rule of {transferCustody} applies. Contract wallets sign through ERC-1271.
    function transferCustodySigned(CustodyAuthorization calldata authorization, bytes calldata signature)
        external;

    /// @notice Moves revoked participants' stones in the trade to their named successors, as
    /// custody action `Recovery` with `document` (the ruling or agreement). Admin only.
    function recover(uint256[] calldata tokenIds, bytes32 document) external;

    /// @notice Spends the caller's current nonce, cancelling any authorization signed with it.
    function useNonce() external returns (uint256 spent);

    /// @notice The nonce the next authorization signed by `holder` must carry.
    function nonces(address holder) external view returns (uint256);

    /// @notice The EIP-712 digest a holder signs for `authorization` on this registry and chain.
    function authorizationDigest(CustodyAuthorization calldata authorization) external view returns (bytes32);

    /// @notice The on-chain anchor of stone `tokenId`'s custody history. Each record is absorbed
    /// into its recipient's 128-bit chain and names the sender's chain value of the moment, so the
    /// current holder's chain (and, through the records, each earlier holder's) commits to the
    /// whole history: a checker rebuilds it from {CustodyTransferred} events, starting at
    /// `lastRecordBlock` and following each record's pointers, and must arrive at `holderChain`.
    /// @return holder the current holder
    /// @return hasRecords whether the stone has any custody record
    /// @return lastRecordBlock the block of its latest record (its registration's if none)
    /// @return holderChain the holder's custody chain
    /// @return holderLastBlock the block of the latest record absorbed into the holder's chain
    function custodyAnchor(uint256 tokenId)
        external
        view
        returns (address holder, bool hasRecords, uint32 lastRecordBlock, uint128 holderChain, uint32 holderLastBlock);

    /// @notice `account`'s custody chain: every record it received, hashed in order (128 bits),
    /// and the block of the latest.
    function accountChain(address account) external view returns (uint128 chain, uint32 lastBlock);

    /*//////////////////////////////////////////////////////////////
                           LINEAGE AND GRADING
    //////////////////////////////////////////////////////////////*/

    /// @notice Splits rough stone `parentId`, held by the caller and in the trade, into polished
    /// stones minted to the caller with its prefix; the parent is retired. Caller: a
    /// MANUFACTURER. The children's weights together may not exceed the parent's.
    function split(
        uint256 parentId,
        uint256[] calldata childIds,
        uint32[] calldata centicarats,
        string[] calldata descriptions
    ) external returns (uint32 batchId);

    /// @notice The stone `tokenId` was cut from, or zero for a stone registered at the mine or declared.
    function parentOf(uint256 tokenId) external view returns (uint256);

    /// @notice The stones cut from `tokenId`.
    function childrenOf(uint256 tokenId) external view returns (uint256[] memory);

    /// @notice Whether `tokenId` entered the registry by registration or declaration rather than a split.
    function isRoot(uint256 tokenId) external view returns (bool);

    /// @notice The stone `tokenId` descends from that was registered or declared (itself if a root).
    function rootOf(uint256 tokenId) external view returns (uint256);

    /// @notice For a split stone, the chain of the manufacturer and the block of its latest
    /// absorbed record at the moment of the split, which anchor the parent's history.
    function splitAnchor(uint256 parentId) external view returns (uint128 chain, uint32 lastBlock);

    /// @notice Records a grading report for stone `tokenId` in the grading book. Caller: a LAB
    /// that holds the stone (it received it for grading).
    function grade(uint256 tokenId, IGradingBook.GradingInput calldata report) external;

    /*//////////////////////////////////////////////////////////////
                          FLAGS, PAUSE AND VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Flags stone `tokenId` stolen or lost. Caller: its holder, or the admin on a report
    /// (`document`, required from the admin). Works while paused.
    function flag(uint256 tokenId, Flag reason, bytes32 document) external;

    /// @notice Clears the flag of stone `tokenId` on `document` (e.g. a police report of recovery). Admin only.
    function clearFlag(uint256 tokenId, bytes32 document) external;

    /// @notice Sends the admin any ether sent to the registry by mistake (Solady's ERC-721 transfer
    /// and approval functions are payable, to save gas), to return to its sender. Admin only.
    function recoverEther() external;

    /// @notice Stops every state change by participants except flagging: registrations,
    /// declarations, splits, custody changes of every kind (recoveries too), gradings,
    /// descriptions, nonces, approvals and KP certificates. Admin only.
    function pause() external;

    /// @notice Lifts {pause}. Admin only.
    function unpause() external;

    /// @notice Everything the registry knows about stone `tokenId`.
    function stone(uint256 tokenId) external view returns (Stone memory);

    /// @notice Registry-wide counts.
    function totals() external view returns (Totals memory);

    /// @notice The contract that renders {tokenURI}.
    function renderer() external view returns (address);

    /// @notice The registry's book of Kimberley Process certificates.
    function certificates() external view returns (IKimberleyCertificates);

    /// @notice The registry's book of grading reports.
    function grading() external view returns (IGradingBook);
}
