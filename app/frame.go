package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// SidebarWidth is the width of the navigation on a desktop, in Fyne units.
const SidebarWidth float32 = 240

// page is one screen on the navigation stack.
type page struct {
	title  string
	screen fyne.CanvasObject
}

// frame is what a signed-in person sees below the banner: the navigation
// (a sidebar on a desktop, a Menu screen on a phone), a header with Back
// and the current screen's title, and the screen.
type frame struct {
	ui      *UI
	root    *fyne.Container
	sidebar *fyne.Container
	navList *fyne.Container
	navBtns map[string]*widget.Button
	backBtn *widget.Button
	menu    *widget.Button
	title   *widget.Label
	header  *fyne.Container
	body    *fyne.Container

	section Section
	stack   []page
	narrow  bool
}

func newFrame(ui *UI) *frame {
	f := &frame{ui: ui, navBtns: map[string]*widget.Button{}}
	f.backBtn = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), ui.Back)
	f.menu = widget.NewButtonWithIcon("Menu", theme.MenuIcon(), f.showMenu)
	f.title = widget.NewLabel("")
	f.title.SizeName = theme.SizeNameSubHeadingText
	f.title.TextStyle = fyne.TextStyle{Bold: true}
	f.title.Truncation = fyne.TextTruncateEllipsis
	f.body = container.NewStack()

	f.navList = container.NewVBox()
	for _, s := range ui.Sections() {
		b := widget.NewButton(s.Title, func() { ui.ShowSection(s.ID) })
		if s.Icon != nil {
			b.SetIcon(s.Icon)
		}
		b.Alignment = widget.ButtonAlignLeading
		f.navBtns[s.ID] = b
		f.navList.Add(b)
	}
	f.sidebar = container.NewBorder(nil, container.NewVBox(f.accountButtons()...), nil, nil, f.navList)

	f.header = container.NewBorder(nil, nil, container.NewHBox(f.backBtn, f.menu), nil, f.title)
	content := container.NewBorder(container.NewVBox(container.New(&headerPad{f: f}, f.header), widget.NewSeparator()), nil, nil, nil, f.body)
	f.root = container.New(&navLayout{f: f}, container.NewPadded(f.sidebar), content)
	f.updateHeader()
	return f
}

// accountButtons are Switch user and Lock, in the sidebar and the menu.
func (f *frame) accountButtons() []fyne.CanvasObject {
	sw := widget.NewButtonWithIcon("Switch user", theme.AccountIcon(), f.ui.SwitchUser)
	lock := widget.NewButtonWithIcon("Lock", theme.VisibilityOffIcon(), f.ui.Lock)
	sw.Alignment, lock.Alignment = widget.ButtonAlignLeading, widget.ButtonAlignLeading
	return []fyne.CanvasObject{widget.NewSeparator(), sw, lock}
}

// showSection makes s the root of the stack.
func (f *frame) showSection(s Section) {
	f.section = s
	for id, b := range f.navBtns {
		if id == s.ID {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	f.stack = []page{{title: s.Title, screen: s.Make(f.ui)}}
	f.show()
}

func (f *frame) push(title string, screen fyne.CanvasObject) {
	f.stack = append(f.stack, page{title: title, screen: screen})
	f.show()
}

func (f *frame) back() {
	if len(f.stack) > 1 {
		f.stack = f.stack[:len(f.stack)-1]
		f.ui.log.Debug("show screen", "screen", f.stack[len(f.stack)-1].title, "back", true)
		f.show()
		f.reload()
	}
}

// showMenu shows the sections as a screen of their own (a phone's
// navigation).
func (f *frame) showMenu() {
	list := container.NewVBox()
	for _, s := range f.ui.Sections() {
		b := widget.NewButton(s.Title, func() { f.ui.ShowSection(s.ID) })
		if s.Icon != nil {
			b.SetIcon(s.Icon)
		}
		b.Alignment = widget.ButtonAlignLeading
		if s.ID == f.section.ID {
			b.Importance = widget.HighImportance
		}
		list.Add(b)
	}
	for _, o := range f.accountButtons() {
		list.Add(o)
	}
	f.ui.Touch()
	f.push("Menu", container.NewVScroll(container.NewPadded(list)))
}

// show puts the top of the stack on screen.
func (f *frame) show() {
	top := f.stack[len(f.stack)-1]
	f.title.SetText(top.title)
	f.body.Objects = []fyne.CanvasObject{top.screen}
	f.body.Refresh()
	f.updateHeader()
}

// top returns the screen on show.
func (f *frame) top() fyne.CanvasObject {
	if len(f.stack) == 0 {
		return nil
	}
	return f.stack[len(f.stack)-1].screen
}

func (f *frame) reload() {
	if r, ok := f.top().(Reloader); ok {
		r.Reload()
	}
}

// updateHeader shows Back above a pushed screen, and Menu at a section's
// root on a phone.
func (f *frame) updateHeader() {
	deep := len(f.stack) > 1
	if deep {
		f.backBtn.Show()
	} else {
		f.backBtn.Hide()
	}
	if f.narrow && !deep {
		f.menu.Show()
	} else {
		f.menu.Hide()
	}
	if f.header != nil {
		f.header.Refresh()
	}
}

// navLayout puts the sidebar beside the content on a desktop and hides it
// below NarrowWidth, where the Menu button takes its place.
type navLayout struct{ f *frame }

func (l *navLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	narrow := size.Width < NarrowWidth
	if narrow != l.f.narrow {
		l.f.narrow = narrow
		l.f.updateHeader()
	}
	side, content := objs[0], objs[1]
	if narrow {
		side.Hide()
		content.Move(fyne.NewPos(0, 0))
		content.Resize(size)
		return
	}
	side.Show()
	w := max(SidebarWidth, side.MinSize().Width)
	side.Move(fyne.NewPos(0, 0))
	side.Resize(fyne.NewSize(w, size.Height))
	content.Move(fyne.NewPos(w, 0))
	content.Resize(fyne.NewSize(size.Width-w, size.Height))
}

func (l *navLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return objs[1].MinSize()
}

// headerPad pads the Back and title row: all round on a desktop, only at
// the sides on a phone, where every line of height is screen for the
// patient (the row's buttons are still MinTouchTarget high).
type headerPad struct{ f *frame }

func (l *headerPad) pads() (x, y float32) {
	p := theme.Padding()
	if l.f.narrow {
		return p, 0
	}
	return p, p
}

func (l *headerPad) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x, y := l.pads()
	for _, o := range objs {
		o.Move(fyne.NewPos(x, y))
		o.Resize(size.SubtractWidthHeight(2*x, 2*y))
	}
}

func (l *headerPad) MinSize(objs []fyne.CanvasObject) fyne.Size {
	x, y := l.pads()
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m.AddWidthHeight(2*x, 2*y)
}
