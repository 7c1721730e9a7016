// Package assets holds Lifeboat's embedded data: form definitions, the pharmacy continuity plan, the app icon.
//
// It is data only: no logic beyond exposing the embedded files, so every
// other package (and the packaged app) sees exactly the same bytes.
package assets

import _ "embed"

// Icon is the app icon: a 512x512 PNG of a red and white lifebuoy on NHS
// blue. FyneApp.toml points the packager at the same file.
//
//go:embed icon.png
var Icon []byte
