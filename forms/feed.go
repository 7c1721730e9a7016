package forms

import "time"

// KindFeedStatus records a change in whether the core system answers the
// feed that keeps this ward's census current (sync/feed): "down" once
// pulls have failed for the feed's outage time, "up" at the first pull that
// works after that. Only changes are recorded, never each pull. Payload
// FeedStatus, subject "feed". The banner on every device shows the newest.
const KindFeedStatus = "feed.status"

// FeedStatus is the payload of feed.status. It holds no patient data and
// no secret: Source names the feed without credentials, Reason says what
// failed in plain words ("connection refused", "HTTP 503").
type FeedStatus struct {
	Source string `json:"source"`
	Up     bool   `json:"up"`
	// Since is when it changed: the first failed pull of the outage (Up
	// false) or the first pull that worked again (Up true).
	Since time.Time `json:"since"`
	// LastSuccess is the newest pull that worked before this record.
	LastSuccess time.Time `json:"last_success,omitzero"`
	Reason      string    `json:"reason,omitempty"`
}
