// Package mesh shares a ward's event log between devices with no server.
//
// Membership and failure detection come from hashicorp/memberlist on the
// local network, encrypted with the site keyring (AES-GCM over UDP and
// TCP, incoming and outgoing verified). Node names are device IDs; node
// metadata carries the device's key fingerprint, and an alive delegate
// refuses devices the site registry does not list or has revoked.
//
// Data never rides in gossip. Push/pull and announcements carry only a
// summary (the speaker and its version vector, device -> highest
// contiguous seq). When a peer holds events this node lacks, the node asks
// for them in bounded batches over memberlist's reliable (TCP) channel,
// taking each device's range from one peer only so relayed events are not
// sent twice, and applies each batch with the store's ApplyPrepared (every
// signature checked, duplicates skipped, one transaction per batch).
// Refused events are kept in the store's quarantine with their reason
// (so a restart does not forget them; Status lists them) and are not
// asked for again from that peer for a while. Local commits are announced after
// a short debounce, so a ward converges within seconds.
//
// At hospital scale (more than 32 members) a device proves itself to, and
// exchanges summaries with, only the peers sharing a scope with it beyond
// the site's (its ward's devices, the pharmacy, the relays), three others
// it picks, and those that pick it (see neighbours.go); memberlist's
// membership stays whole. A summary goes to a peer only when a chain it
// holds moved, at most once a SyncInterval, and again on memberlist's
// scaled push/pull interval; pulls are planned from an index of which
// peer holds more of which chain, so a relay holding every chain does not
// scan every peer's every chain on every message.
//
// A device that sends more corrections or cancellations than FloodLimit
// within FloodWindow has the rest of its log held back (Status.Held) until
// a person calls Release; the first event held goes to the quarantine, and
// the hold outlasts a restart while that event is not in the log. Peers' clocks more than ClockSkewLimit from ours
// are reported. Invite, Invites and DecodeInvite are the enrolment code a
// new device scans (QR) or types (ShortCode): a one-time token valid for
// InviteTTL and the admin device's TLS fingerprint, never the site key.
//
// The store is reached through the narrow Store interface this package
// declares; *store.DB satisfies it.
package mesh
