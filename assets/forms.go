package assets

import "embed"

// Forms holds the built-in form definitions, forms/*.json, each a
// versioned definition for forms.ParseDefinition. Load them all with
// forms.LoadDefinitions(assets.Forms, "forms").
//
//go:embed forms/*.json
var Forms embed.FS
