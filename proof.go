package lifeboat

// ProofContext is the Ed25519ctx context (RFC 8032) under which a device
// signs its proof of possession in the mesh handshake. Events are signed
// with plain Ed25519, so a proof can never pass as an event's signature,
// nor an event's signature as a proof.
const ProofContext = "lifeboat mesh proof v1"
