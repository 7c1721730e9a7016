package assets

import _ "embed"

// Noto Sans (SIL Open Font License 1.1, fonts/OFL.txt), the face Fyne
// draws the app in, for printouts: it covers the Latin, Greek and Cyrillic
// letters of patients' names, which PDF's built-in fonts do not.
var (
	//go:embed fonts/NotoSans-Regular.ttf
	FontRegular []byte
	//go:embed fonts/NotoSans-Bold.ttf
	FontBold []byte
	//go:embed fonts/NotoSans-Italic.ttf
	FontItalic []byte
)
