// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDiamondRegistry} from "../../interfaces/IDiamondRegistry.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {Certificates} from "./Certificates.sol";
import {ParticipantAux} from "../libraries/ParticipantAux.sol";
import {StoneRecord} from "../libraries/StoneRecord.sol";

/// @title Custody: every change of holder, by any path, becomes a checked custody record
/// @notice `custodyTransfer`, a signed `custodyTransferWithAuthorization` and the plain ERC-721
/// `transferFrom` / `safeTransferFrom` all pass through one hook, `_beforeTokenTransfer`, which
/// applies every rule (pause, flags, retirement, trade rule, cross-border KP rule) and appends
/// the record. The hook reads the action, document and certificate a custody function was called
/// with from the call data; a plain ERC-721 transfer names none (action `Transfer`).
abstract contract Custody is Certificates, EIP712 {
    using ParticipantAux for uint224;

    bytes32 private constant _AUTHORIZATION_TYPEHASH = keccak256(
        "CustodyAuthorization(uint256 tokenId,address to,uint8 action,bytes32 document,bytes32 certificate,uint256 nonce,uint256 deadline)"
    );

    constructor() EIP712("DiamondTrace Registry", "1") {}

    /// @inheritdoc IDiamondRegistry
    /// @dev The action, document and certificate are read by the hook from this call's data.
    function custodyTransfer(address to, uint256 tokenId, Action, bytes32, bytes32) external {
        address holder = _ownerOf(tokenId);
        if (holder == address(0)) revert UnknownStone(tokenId);
        _transfer(msg.sender, holder, to, tokenId);
    }

    /// @inheritdoc IDiamondRegistry
    function custodyTransferWithAuthorization(CustodyAuthorization calldata a, bytes calldata signature) external {
        if (block.timestamp > a.deadline) revert AuthorizationExpired(a.deadline);
        address holder = _ownerOf(a.tokenId);
        if (holder == address(0)) revert UnknownStone(a.tokenId);
        uint224 aux = _getAux(holder);
        if (a.nonce != aux.nonce()) revert InvalidNonce(holder, aux.nonce(), a.nonce);
        if (!_isHoldersSignature(holder, _authorizationDigest(a), signature)) revert InvalidSignature(holder);
        _setAux(holder, aux.withNextNonce());
        _transfer(address(0), holder, a.to, a.tokenId);
    }

    /// @inheritdoc IDiamondRegistry
    function useNonce() external returns (uint256 spent) {
        uint224 aux = _getAux(msg.sender);
        spent = aux.nonce();
        _setAux(msg.sender, aux.withNextNonce());
    }

    /// @inheritdoc IDiamondRegistry
    function authorizationDigest(CustodyAuthorization calldata a) external view returns (bytes32) {
        return _authorizationDigest(a);
    }

    /// @inheritdoc IDiamondRegistry
    function custodyState(uint256 tokenId)
        external
        view
        returns (address holder, uint16 custodyCount, uint24 commitment, Action lastAction)
    {
        StoneRecord.Record memory r = _record(tokenId);
        return (_ownerOf(tokenId), r.custodyCount, r.commitment, r.lastAction);
    }

    /// @dev The holder's own key (ECDSA), else, for a contract wallet, ERC-1271. Trying ECDSA first
    /// spares an EOA holder the cold code-size lookup (2,600 gas); no key can sign for a contract's
    /// address, so the order changes nothing for wallets. A malleated copy of a signature would be
    /// just as single-use: the nonce, not the signature, makes an authorization unique.
    function _isHoldersSignature(address holder, bytes32 digest, bytes calldata signature) private view returns (bool) {
        if (ECDSA.tryRecoverCalldata(digest, signature) == holder) return true;
        return SignatureChecker.isValidERC1271SignatureNowCalldata(holder, digest, signature);
    }

    function _authorizationDigest(CustodyAuthorization calldata a) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _AUTHORIZATION_TYPEHASH, a.tokenId, a.to, a.action, a.document, a.certificate, a.nonce, a.deadline
                )
            )
        );
    }

    /// @dev The one hook every change of holder passes through, by any entry point. Mints return at
    /// once: registration and split record their stones themselves.
    function _beforeTokenTransfer(address from, address to, uint256 tokenId) internal override {
        if (from == address(0)) return;
        if (_ownerOf(tokenId) != from) return; // the transfer itself reverts with the ERC-721 error
        (Action action, bytes32 document, bytes32 certificateNumber) = _named();
        _recordCustody(from, to, tokenId, action, document, certificateNumber);
    }

    /// @dev What the call that is moving a stone named: the custody functions carry an action,
    /// document and certificate in their arguments, read here straight from the call data (no
    /// storage round trip); the plain ERC-721 transfers name none. Every change of holder happens
    /// inside exactly one such call frame: a transfer made from an `onERC721Received` callback is
    /// its own call, with its own data.
    function _named() private pure returns (Action action, bytes32 document, bytes32 certificateNumber) {
        if (msg.sig == this.custodyTransfer.selector) {
            (,, action, document, certificateNumber) = abi.decode(msg.data[4:], (address, uint256, Action, bytes32, bytes32));
        } else if (msg.sig == this.custodyTransferWithAuthorization.selector) {
            CustodyAuthorization memory a = abi.decode(msg.data[4:228], (CustodyAuthorization));
            (action, document, certificateNumber) = (a.action, a.document, a.certificate);
        }
    }

    /// @dev Applies every rule of a change of holder and appends the custody record. Runs before
    /// the ERC-721 transfer itself, which then checks approval.
    function _recordCustody(
        address from,
        address to,
        uint256 tokenId,
        Action action,
        bytes32 document,
        bytes32 certificateNumber
    ) private {
        _requireNotPaused();
        uint96 word = _getExtraData(tokenId);
        if (StoneRecord.isFrozen(word)) _requireActive(tokenId, StoneRecord.unpack(word));
        if (from == to) revert NoChangeOfHolder(tokenId);

        uint224 fromAux = _getAux(from);
        uint224 toAux = _getAux(to);
        Status status = _tradeRule(StoneRecord.status(word), action, from, to, fromAux, toAux);
        bool crossBorder = fromAux.roles() != 0 && toAux.roles() != 0 && fromAux.country() != toAux.country();
        if (crossBorder || certificateNumber != bytes32(0)) {
            _applyCertificate(tokenId, StoneRecord.unpack(word), from, to, crossBorder, certificateNumber, fromAux, toAux);
        }

        if (StoneRecord.custodyCount(word) == StoneRecord.MAX_CUSTODY_COUNT) revert CustodyHistoryFull(tokenId);
        uint24 commitment = StoneRecord.commit(
            StoneRecord.commitment(word), tokenId, from, to, action, document, certificateNumber, block.timestamp
        );
        _setExtraData(tokenId, StoneRecord.appendCustody(word, action, commitment, status));
        emit CustodyTransferred(tokenId, from, to, action, document, certificateNumber, commitment);
        emit MetadataUpdate(tokenId);
    }

    /// @dev The trade rule: in the trade a stone moves only between accredited participants, except
    /// that a retailer's retail sale may go to anyone, after which the stone moves freely.
    /// Returns the stone's status after the move.
    function _tradeRule(Status status, Action action, address from, address to, uint224 fromAux, uint224 toAux)
        private
        pure
        returns (Status)
    {
        if (status != Status.InTrade) return status;
        if (fromAux.roles() == 0) revert HolderNotAccredited(from);
        if (action == Action.RetailSale) {
            if (fromAux.roles() & ParticipantAux.RETAILER == 0) revert MissingRole(from, ParticipantAux.RETAILER);
            return Status.Retailed;
        }
        if (toAux.roles() == 0) revert RecipientNotAccredited(to);
        return status;
    }

    /// @dev The cross-border rule: a rough stone crossing between participants in different
    /// countries names a valid certificate for exactly these parties and countries, and its
    /// weight is drawn from it. Polished stones are outside the Kimberley Process.
    function _applyCertificate(
        uint256 tokenId,
        StoneRecord.Record memory r,
        address from,
        address to,
        bool crossBorder,
        bytes32 certificateNumber,
        uint224 fromAux,
        uint224 toAux
    ) private {
        bool rough = _kindOf(r) != Kind.Polished;
        if (certificateNumber == bytes32(0)) {
            if (rough) revert CrossBorderWithoutCertificate(tokenId, fromAux.country(), toAux.country());
            return;
        }
        if (!rough) revert NotRough(tokenId);
        (uint32 index, CertificateRecord storage c) = _usableCertificate(certificateNumber);
        if (
            !crossBorder || c.exporter != from || c.importer != to || c.exporting != fromAux.country()
                || c.importing != toAux.country()
        ) revert CertificateMismatch(certificateNumber, from, to);
        _attach(tokenId, r, index, c);
    }
}
