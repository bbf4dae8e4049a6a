// Package as2 makes Dockside an AS2 station (RFC 4130, with RFC 5402
// compression): an HTTP handler that receives partners' messages and
// answers them with MDNs, and an outbox sender that sends ours.
//
// Receiving: Handler limits the requests of each client address, reads
// the AS2 headers (AS2-From, AS2-To, Message-ID,
// Disposition-Notification-To, Disposition-Notification-Options,
// Receipt-Delivery-Option) and finds the partner by AS2 id before it
// reads any of the body; a large body is written to an unlinked file
// while it arrives and read into memory only when its turn comes (a few
// messages are unwrapped at a time). Then it unwraps the
// message layer by layer on raw bytes: EnvelopedData (AES-128/192/256-CBC,
// 3DES; RSA PKCS#1 v1.5 or OAEP key transport), zlib CompressedData
// before or after signing, and multipart/signed detached signatures
// (SHA-1, SHA-256, SHA-384, SHA-512) checked against the partner's
// certificates. The payload goes to the inbox with the AS2 metadata; only
// once the inbox has stored it durably does the MDN say "processed". The
// MDN is synchronous (the HTTP response) or asynchronous (queued in the
// outbox and POSTed to the Receipt-Delivery-Option URL), and signed when
// the Disposition-Notification-Options ask for it. Its Received-Content-MIC
// follows RFC 4130 §7.3.1 and RFC 5402 §4.1: over the signed MIME entity
// with its headers for a signed message, over the decrypted or
// decompressed entity with its headers for an unsigned one that was
// encrypted or compressed, over the content alone otherwise. The same
// Message-ID again from the same partner is not processed twice: it is
// answered with the original MDN, unless the first attempt failed.
//
// Sending: Sender is the outbox.Sender of transport "as2". It builds the
// MIME entity, compresses, signs and encrypts it per the partner's
// profile, POSTs it and checks the synchronous MDN (signature, disposition
// and MIC); a negative MDN or a MIC mismatch is a failed attempt, which
// the outbox retries. With asynchronous MDNs the message stays Sent until
// the partner's MDN reaches the Handler, which confirms it in the outbox.
// The same sender POSTs the asynchronous MDNs the Handler queues (outbox
// messages of kind KindMDN).
//
// Cryptography: signatures are made with github.com/smallstep/pkcs7 (per
// call settings only; its package-level variables are never touched).
// Signature verification, EnvelopedData both ways and CompressedData are
// implemented here on golang.org/x/crypto/cryptobyte, after a BER to DER
// conversion, because partners' streaming encoders emit BER and because
// pkcs7 cannot encrypt AES-192 or 3DES, decrypt AES-192, or read signers
// named by subject key identifier.
//
// Transports know nothing of X12 or the ledger: partners come in as
// Partner values through the Partners interface, adapted by the gateway.
package as2
