package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Shell is the frame every Lifeboat screen sits in: the banner across the
// top and the current screen below it. For now the only screen is the
// empty ward list.
type Shell struct {
	banner  *Banner
	heading *widget.Label
	content *fyne.Container
}

// NewShell builds the shell showing s and makes it w's content.
func NewShell(w fyne.Window, s Status) *Shell {
	sh := &Shell{banner: NewBanner(s)}

	sh.heading = widget.NewLabel("")
	sh.heading.SizeName = theme.SizeNameHeadingText
	sh.heading.TextStyle = fyne.TextStyle{Bold: true}
	sh.heading.Truncation = fyne.TextTruncateEllipsis

	empty := widget.NewLabel("No patients yet")
	empty.SizeName = theme.SizeNameSubHeadingText
	empty.TextStyle = fyne.TextStyle{Bold: true}
	empty.Alignment = fyne.TextAlignCenter
	hint := widget.NewLabel("Patients recorded on this device will be listed here.")
	hint.Alignment = fyne.TextAlignCenter
	hint.Wrapping = fyne.TextWrapWord

	body := container.NewBorder(
		container.NewPadded(sh.heading), nil, nil, nil,
		container.NewVBox(layout.NewSpacer(), empty, hint, layout.NewSpacer()),
	)
	sh.content = container.New(&shellLayout{banner: sh.banner}, sh.banner, body)
	sh.set(s)

	// The banner runs edge to edge; screens pad themselves.
	w.SetPadded(false)
	w.SetContent(sh.content)
	return sh
}

// Update shows s in the banner and the screen below it. Call it on Fyne's
// goroutine.
func (sh *Shell) Update(s Status) {
	sh.set(s)
	sh.banner.Update(s)
	sh.content.Refresh()
}

// Banner returns the shell's banner.
func (sh *Shell) Banner() *Banner { return sh.banner }

func (sh *Shell) set(s Status) {
	sh.heading.SetText(s.WardText())
}

// shellLayout puts the banner at the top at the height it needs for the
// window's width (so it can stack on a phone) and the screen below it.
type shellLayout struct {
	banner *Banner
}

func (l *shellLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	h := l.banner.HeightFor(size.Width)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(size.Width, h))
	objs[1].Move(fyne.NewPos(0, h))
	objs[1].Resize(fyne.NewSize(size.Width, size.Height-h))
}

func (l *shellLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	b, body := objs[0].MinSize(), objs[1].MinSize()
	w := max(b.Width, body.Width)
	return fyne.NewSize(w, l.banner.HeightFor(w)+body.Height)
}
