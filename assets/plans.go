package assets

import "embed"

// Plans holds the built-in continuity plans as JSON, one per file under
// plans/ (for example plans/pharmacy-continuity.json). Parse them with
// forms.ParsePlan; a trust replaces or adds plans as data, without a build.
//
//go:embed plans/*.json
var Plans embed.FS
