// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondRegistry} from "../../interfaces/IDiamondRegistry.sol";
import {EIP712} from "solady/utils/EIP712.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {SignatureCheckerLib} from "solady/utils/SignatureCheckerLib.sol";

import {Participants} from "./Participants.sol";
import {AccountAux, AccountWord} from "../libraries/AccountAux.sol";
import {Countries} from "../libraries/Countries.sol";
import {StoneRecord, StoneWord} from "../libraries/StoneRecord.sol";

/// @title Custody: every change of holder, by any path, becomes a checked custody record
/// @notice `transferCustody`, a signed `transferCustodySigned`, the admin's `recover`
/// and the plain ERC-721 `transferFrom` / `safeTransferFrom` all pass through one internal
/// function, `_transfer`, which applies every rule (pause, flags, retirement, the trade rule,
/// the Kimberley Process rule on the stone's jurisdiction, the SoW and RJC assurances) and
/// appends the record to the recipient's custody chain. It reads what a custody function was
/// called with from the call data; a plain ERC-721 transfer names nothing (action `Transfer`).
abstract contract Custody is Participants, EIP712 {
    bytes32 private constant _AUTHORIZATION_TYPEHASH = keccak256(
        "CustodyAuthorization(uint256 tokenId,address holder,address to,uint8 action,bytes32 document,bytes32 certificate,bool warranty,uint256 nonce,uint256 lastRecordBlock,uint256 deadline)"
    );
    /// @dev The size of an ABI-encoded `CustodyAuthorization`: ten static words.
    uint256 private constant _AUTHORIZATION_SIZE = 10 * 32;
    /// @dev Actions whose record must carry the SoW warranty for the stone to stay "warranted":
    /// the sales, and plain transfers (which could be sales that named nothing).
    uint256 private constant _WARRANTED_ACTIONS = (1 << uint8(Action.Transfer)) | (1 << uint8(Action.Sale))
        | (1 << uint8(Action.Export)) | (1 << uint8(Action.Import)) | (1 << uint8(Action.RetailSale));

    function _domainNameAndVersion() internal pure override returns (string memory, string memory) {
        return ("DiamondTrace Registry", "2");
    }

    /// @inheritdoc IDiamondRegistry
    /// @dev The action, document, certificate and warranty are read by `_transfer` from this call's data.
    /// @dev Named so that its selector (0x0192ce17) sorts first: the via-IR dispatcher compares
    /// selectors one by one, and the hot path is found at once (about 1,400 gas saved).
    function transferCustody(address to, uint256 tokenId, Action, bytes32, bytes32, bool) external {
        _transfer(msg.sender, _holder(tokenId), to, tokenId);
    }

    /// @inheritdoc IDiamondRegistry
    function transferCustodySigned(CustodyAuthorization calldata a, bytes calldata signature) external {
        if (block.timestamp > a.deadline) revert AuthorizationExpired(a.deadline);
        uint256 slot = _ownershipSlot(a.tokenId);
        uint256 packed;
        assembly ("memory-safe") {
            packed := sload(slot)
        }
        address holder = address(uint160(packed));
        if (holder == address(0)) revert UnknownStone(a.tokenId);
        if (holder != a.holder) revert NotHolder(a.holder, a.tokenId);
        uint256 last = StoneRecord.fromBits(packed >> 160).lastRecordBlock();
        if (a.lastRecordBlock != last) revert StoneMovedSinceSigned(a.tokenId, a.lastRecordBlock, last);
        uint256 nonce = _accountWord(holder).nonce();
        if (a.nonce != nonce) revert InvalidNonce(holder, nonce, a.nonce);
        if (!_isHoldersSignature(holder, _authorizationDigest(), signature)) revert InvalidSignature(holder);
        if (nonce == type(uint32).max) revert NonceExhausted();
        _transfer(address(0), holder, a.to, a.tokenId); // spends the nonce (see `_named`)
    }

    /// @inheritdoc IDiamondRegistry
    /// @dev The document is read by `_transfer` from this call's data.
    function recover(uint256[] calldata tokenIds, bytes32 document) external onlyOwner {
        if (document == 0) revert DocumentRequired();
        for (uint256 i; i < tokenIds.length; ++i) {
            uint256 tokenId = tokenIds[i];
            address holder = _holder(tokenId);
            if (_accountWord(holder).roles() != 0) revert NotRevoked(holder);
            address successor = _successors[holder];
            if (successor == address(0)) revert NoSuccessor(holder);
            if (_stoneWord(tokenId).status() != Status.InTrade) revert NotInTrade(tokenId);
            _transfer(address(0), holder, successor, tokenId);
        }
    }

    /// @inheritdoc IDiamondRegistry
    function useNonce() external whenNotPaused returns (uint256 spent) {
        AccountWord aux = _accountWord(msg.sender);
        spent = aux.nonce();
        _setAccountWord(msg.sender, aux.withNextNonce());
    }

    /// @inheritdoc IDiamondRegistry
    function authorizationDigest(CustodyAuthorization calldata) external view returns (bytes32) {
        return _authorizationDigest();
    }

    /// @inheritdoc IDiamondRegistry
    function custodyAnchor(uint256 tokenId)
        external
        view
        returns (address holder, bool hasRecords, uint32 lastRecordBlock, uint128 holderChain, uint32 holderLastBlock)
    {
        StoneWord word = _word(tokenId);
        holder = _ownerOf(tokenId);
        AccountWord aux = _accountWord(holder);
        return (holder, word.hasRecords(), word.lastRecordBlock(), aux.chain(), aux.lastBlock());
    }

    /// @inheritdoc IDiamondRegistry
    function accountChain(address account) external view returns (uint128 chain, uint32 lastBlock) {
        AccountWord aux = _accountWord(account);
        return (aux.chain(), aux.lastBlock());
    }

    /// @notice Approvals are state changes too: none while paused.
    function approve(address account, uint256 id) public payable override whenNotPaused {
        super.approve(account, id);
    }

    /// @notice Approvals are state changes too: none while paused.
    function setApprovalForAll(address operator, bool isApproved) public override whenNotPaused {
        super.setApprovalForAll(operator, isApproved);
    }

    function _holder(uint256 tokenId) private view returns (address holder) {
        holder = _ownerOf(tokenId);
        if (holder == address(0)) revert UnknownStone(tokenId);
    }

    /// @dev The holder's own key (ECDSA), else, for a contract wallet, ERC-1271. Trying ECDSA first
    /// spares an EOA holder the cold code-size lookup (2,600 gas); no key can sign for a contract's
    /// address, so the order changes nothing for wallets. A malleated copy of a signature would be
    /// just as single-use: the nonce, not the signature, makes an authorization unique.
    function _isHoldersSignature(address holder, bytes32 digest, bytes calldata signature) private view returns (bool) {
        if (ECDSA.tryRecoverCalldata(digest, signature) == holder) return true;
        return SignatureCheckerLib.isValidERC1271SignatureNowCalldata(holder, digest, signature);
    }

    /// @dev The digest of the authorization that is the first argument of the current call (both
    /// callers take it first), hashed straight from the call data: its ten static words are the
    /// struct's EIP-712 encoding.
    function _authorizationDigest() private view returns (bytes32) {
        return _hashTypedData(keccak256(abi.encodePacked(_AUTHORIZATION_TYPEHASH, msg.data[4:4 + _AUTHORIZATION_SIZE])));
    }

    /// @notice Plain ERC-721 transfers (and `safeTransferFrom`, which calls this) are custody
    /// records too, under every rule, with action `Transfer`.
    function transferFrom(address from, address to, uint256 id) public payable override {
        _transfer(msg.sender, from, to, id);
    }

    /// @dev The one path every change of holder takes, by any entry point: Solady's `_transfer`
    /// (same checks, errors and approval clearing) with the custody rules and record fused in,
    /// so that the stone's slot and both parties' balance slots are each read and written once.
    /// `by` is the caller to authorize as holder or approved, or zero when the caller has been
    /// authorized otherwise (a signed authorization, the admin's recovery).
    function _transfer(address by, address from, address to, uint256 id) internal override {
        (Action action, bytes32 document, bytes32 certificateNumber, bool warranty) = _named();
        // A signed authorization spends the holder's nonce in the same write as its balance.
        uint256 fromSlotStep = msg.sig == this.transferCustodySigned.selector ? AccountAux.NONCE_STEP : 0;
        uint256 slot = _ownershipSlot(id);
        uint256 packed;
        assembly ("memory-safe") {
            let bitmaskAddress := shr(96, not(0))
            from := and(bitmaskAddress, from)
            to := and(bitmaskAddress, to)
            by := and(bitmaskAddress, by)
            packed := sload(slot)
            let holder := and(bitmaskAddress, packed)
            // Revert if the token does not exist, or if `from` is not the owner.
            if iszero(mul(holder, eq(holder, from))) {
                // `TokenDoesNotExist()`, `TransferFromIncorrectOwner()`.
                mstore(shl(2, iszero(holder)), 0xceea21b6a1148100)
                revert(0x1c, 0x04)
            }
            let approvedAddress := sload(add(1, slot))
            // If `by` is not the zero address, it must be the owner, approved, or an operator.
            if iszero(or(iszero(by), or(eq(by, from), eq(by, approvedAddress)))) {
                mstore(0x1c, or(_SOLADY_SLOT_SEED, by))
                mstore(0x00, from)
                if iszero(sload(keccak256(0x0c, 0x30))) {
                    mstore(0x00, 0x4b6e7f18) // `NotOwnerNorApproved()`.
                    revert(0x1c, 0x04)
                }
            }
            // Delete the approved address if any.
            if approvedAddress { sstore(add(1, slot), 0) }
        }
        uint256 fromSlot = _balanceSlot(from);
        uint256 toSlot = _balanceSlot(to);
        uint256 fromPacked;
        uint256 toPacked;
        assembly ("memory-safe") {
            fromPacked := sload(fromSlot)
            toPacked := sload(toSlot)
        }
        (StoneWord word, AccountWord toAux) = _recordCustody(
            from,
            to,
            id,
            StoneRecord.fromBits(packed >> 160),
            AccountAux.fromBits(fromPacked >> 32),
            AccountAux.fromBits(toPacked >> 32),
            action,
            document,
            certificateNumber,
            warranty
        );
        assembly ("memory-safe") {
            sstore(slot, or(shl(160, word), to))
            sstore(fromSlot, add(sub(fromPacked, 1), fromSlotStep))
            let toBalanceSlotPacked := add(or(shl(32, toAux), and(toPacked, _MAX_ACCOUNT_BALANCE)), 1)
            // Revert if `to` is the zero address, or if the account balance overflows.
            if iszero(mul(to, and(toBalanceSlotPacked, _MAX_ACCOUNT_BALANCE))) {
                // `TransferToZeroAddress()`, `AccountBalanceOverflow()`.
                mstore(shl(2, iszero(to)), 0xea553b3401336cea)
                revert(0x1c, 0x04)
            }
            sstore(toSlot, toBalanceSlotPacked)
            log4(codesize(), 0x00, _SOLADY_TRANSFER_EVENT, from, to, id)
        }
    }

    /// @dev What the call that is moving a stone named, read straight from its call data (no
    /// storage round trip): the custody functions carry an action, document, certificate and
    /// warranty; `recover` a document; the plain ERC-721 transfers nothing. Every change of
    /// holder happens inside exactly one such call frame: a transfer made from an
    /// `onERC721Received` callback is its own call, with its own data.
    function _named()
        private
        pure
        returns (Action action, bytes32 document, bytes32 certificateNumber, bool warranty)
    {
        // Where the action's word sits in each custody function's call data; document,
        // certificate and warranty follow it, in the same order, in both.
        uint256 at;
        if (msg.sig == this.transferCustody.selector) {
            at = 4 + 2 * 32; // (to, tokenId, action, ...)
        } else if (msg.sig == this.transferCustodySigned.selector) {
            at = 4 + 3 * 32; // (tokenId, holder, to, action, ...)
        } else if (msg.sig == this.recover.selector) {
            return (Action.Recovery, bytes32(msg.data[36:68]), 0, false);
        } else {
            return (Action.Transfer, 0, 0, false);
        }
        uint256 named;
        uint256 warrantyWord;
        assembly ("memory-safe") {
            named := calldataload(at)
            document := calldataload(add(at, 0x20))
            certificateNumber := calldataload(add(at, 0x40))
            warrantyWord := calldataload(add(at, 0x60))
        }
        // Plain transfers and recoveries name themselves; nobody may claim to be either.
        if (named == uint8(Action.Transfer) || named >= uint8(Action.Recovery)) revert InvalidAction(uint8(named));
        if (warrantyWord > 1) revert InvalidAction(uint8(named));
        return (Action(named), document, certificateNumber, warrantyWord == 1);
    }

    /// @dev Applies every rule of a change of holder to the stone's `word` and the parties' aux,
    /// and makes the custody record: returns the stone's word and the recipient's aux after it.
    function _recordCustody(
        address from,
        address to,
        uint256 tokenId,
        StoneWord word,
        AccountWord fromAux,
        AccountWord toAux,
        Action action,
        bytes32 document,
        bytes32 certificateNumber,
        bool warranty
    ) private returns (StoneWord next, AccountWord toAuxAfter) {
        _requireNotPaused();
        _requireActive(tokenId, word);
        if (from == to) revert NoChangeOfHolder(tokenId);

        next = word;
        uint32 certificateId = 0;
        if (word.status() == Status.InTrade) {
            (next, certificateId) =
                _tradeRules(word, tokenId, from, to, fromAux, toAux, action, certificateNumber, warranty);
        } else if (certificateNumber != 0) {
            revert NotRough(tokenId); // retailed stones are polished: outside the Kimberley Process
        }
        // The metadata shows status, jurisdiction, certificate and assurances, not the holder.
        if (next.bits() != word.bits()) emit MetadataUpdate(tokenId);

        uint256 record = uint256(uint8(action)) | (warranty ? 1 << 8 : 0)
            | (word.hasRecords() ? 1 << 9 : 0) | (next.warranted() ? 1 << 10 : 0)
            | (next.rjc() ? 1 << 11 : 0) | (word.warranted() ? 1 << 12 : 0)
            | (word.rjc() ? 1 << 13 : 0) | (uint256(certificateId) << 16)
            | (block.timestamp << 48) | (uint256(word.lastRecordBlock()) << 88)
            | (uint256(fromAux.lastBlock()) << 120) | (uint256(toAux.lastBlock()) << 152);
        uint256 chains = (uint256(fromAux.chain()) << 128) | toAux.chain();
        bytes32 recordHash = keccak256(abi.encode(tokenId, from, to, document, chains, record));
        emit CustodyTransferred(tokenId, to, from, document, chains, record);
        return (next.withRecord(block.number), toAux.absorb(recordHash, block.number));
    }

    /// @dev The rules of a move in the trade. Returns the stone's word after it (status,
    /// jurisdiction, assurances) and the KP certificate drawn, if any.
    function _tradeRules(
        StoneWord word,
        uint256 tokenId,
        address from,
        address to,
        AccountWord fromAux,
        AccountWord toAux,
        Action action,
        bytes32 certificateNumber,
        bool warranty
    ) private returns (StoneWord next, uint32 certificateId) {
        next = word;
        // The trade rule: between accredited participants, except a retailer's retail sale of a
        // polished stone, after which it moves freely. A revoked holder's stones move only by the
        // admin's recovery, to the successor named at revocation (checked by `recover`).
        if (fromAux.roles() == 0 && action != Action.Recovery) revert HolderNotAccredited(from);
        if (action == Action.RetailSale) {
            if (fromAux.roles() & AccountAux.RETAILER == 0) revert MissingRole(from, AccountAux.RETAILER);
            if (_kindOf(word) != Kind.Polished) revert NotPolished(tokenId);
            next = next.withStatus(Status.Retailed);
        } else if (toAux.roles() == 0) {
            revert RecipientNotAccredited(to);
        }

        // The Kimberley Process rule: natural rough leaves the country it lies in only under a
        // valid certificate of that country, for exactly these parties, drawing its weight.
        uint256 lies = word.jurisdiction();
        if (lies == 0) {
            if (certificateNumber != 0) revert NotRough(tokenId);
        } else if (toAux.country() != lies) {
            bytes2 exporting = Countries.code(lies);
            bytes2 importing = Countries.code(toAux.country());
            if (certificateNumber == 0) revert CrossBorderWithoutCertificate(tokenId, exporting, importing);
            certificateId = _kp.drawForCrossing(
                exporting,
                certificateNumber,
                from,
                to,
                importing,
                tokenId,
                word.centicarats(),
                _batches[word.batch()].certificate
            );
            next = next.withJurisdiction(toAux.country());
        } else if (certificateNumber != 0) {
            revert CertificateMismatch(certificateNumber, from, to); // a domestic move
        }

        // The assurances only ever fall: a sale without the SoW warranty, or a holder that was
        // not RJC-certified throughout its holding (the retail buyer is a consumer, not a member).
        if (!warranty && word.warranted() && (_WARRANTED_ACTIONS >> uint8(action)) & 1 == 1) {
            next = next.withoutWarranty();
        }
        if (
            word.rjc()
                && !(
                    _rjcHeldSince(from, fromAux, word.lastRecordBlock())
                        && (action == Action.RetailSale || toAux.rjcCurrent())
                )
        ) next = next.withoutRjc();
    }
}
