package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

// deviceRow is one device as the Devices tab shows it.
type deviceRow struct {
	lifeboat.Device
	Name       string
	EnrolledBy string // person's name
	EnrolledAt time.Time
	Self       bool
	// Holds is what the device holds (nil: the site has no record of it
	// yet, as for the device this one enrolled through).
	Holds lifeboat.Subscription
}

// loadDevices reads the device registry with each device's enrolment
// (name, by whom, when) from its device.enrolled event, and what each
// holds.
func loadDevices(ctx context.Context, st Store) ([]deviceRow, error) {
	devs, err := st.Devices(ctx)
	if err != nil {
		return nil, err
	}
	subs, err := st.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	self, err := st.Device(ctx)
	if err != nil {
		return nil, err
	}
	users, err := st.Users(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.Name
	}
	out := make([]deviceRow, 0, len(devs))
	for _, d := range devs {
		r := deviceRow{Device: d, Self: d.ID == self, Holds: subs[d.ID]}
		evs, err := st.Events(ctx, "device:"+d.ID, lifeboat.KindDeviceEnrolled)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			var p lifeboat.DeviceEnrolled
			if json.Unmarshal(e.Payload, &p) == nil {
				r.Name, r.EnrolledBy, r.EnrolledAt = p.Name, names[e.Author], e.RecordedAt
			}
		}
		out = append(out, r)
	}
	// This device first, then the active ones by name, the revoked last.
	slices.SortStableFunc(out, func(a, b deviceRow) int {
		switch {
		case a.Self != b.Self:
			return boolOrder(a.Self)
		case a.Revoked() != b.Revoked():
			return -boolOrder(a.Revoked())
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// showDevices lists the devices, each with what it holds in plain words
// (wards by the names their layouts give). An IT admin may revoke a device or
// change what it holds.
func (a *adminScreen) showDevices(devs []deviceRow, rots []lifeboat.KeyRotation, wards []forms.Ward) {
	a.devices.Objects = nil
	sess := a.ui.Session()
	admin := sess != nil && sess.User.Role == lifeboat.RoleITAdmin
	if card := siteKeyCard(rots, devs); card != nil {
		a.devices.Add(card)
	}
	for _, d := range devs {
		name := d.Name
		switch {
		case d.Self && name == "":
			name = "This device"
		case name == "":
			name = "Device " + d.ID
		}
		title := widget.NewLabel(name)
		title.TextStyle = fyne.TextStyle{Bold: true}
		chips := container.NewHBox()
		if d.Self {
			chips.Add(Chip("This device", nhsBlue, nhsWhite, true))
		}
		if d.Revoked() {
			chips.Add(Chip("Revoked "+time.UnixMilli(d.RevokedAt).Local().Format(DateTimeLayout), nhsRed, nhsWhite, true))
		}
		about := "ID " + d.ID
		switch {
		case !d.EnrolledAt.IsZero():
			about += " · enrolled " + d.EnrolledAt.Local().Format(DateTimeLayout)
			if d.EnrolledBy != "" {
				about += " by " + d.EnrolledBy
			}
		case d.Source == "anchor":
			about += " · the device this one enrolled through"
		case d.Source == "self":
			about += " · set up the site"
		}
		// Beside the device on a desktop; below it on a phone, where
		// beside it they would squeeze its name into a column of words.
		actions := container.NewVBox()
		if a.ui.narrow() {
			actions = newFlow()
		}
		if admin && !d.Revoked() {
			dev := d
			actions.Add(widget.NewButtonWithIcon("Change scopes", theme.DocumentCreateIcon(), func() { a.changeScopes(dev, name) }))
			if !d.Self {
				b := widget.NewButtonWithIcon("Revoke", theme.CancelIcon(), func() { a.revoke(dev, name) })
				b.Importance = widget.DangerImportance
				actions.Add(b)
			}
		}
		info := container.NewVBox(title)
		if len(chips.Objects) > 0 {
			info.Add(chips)
		}
		if d.Holds != nil {
			holds := wrapped("Holds " + holdsText(d.Holds, wards))
			holds.TextStyle = fyne.TextStyle{Bold: true}
			info.Add(holds)
		}
		info.Add(wrapped(about))
		switch {
		case len(actions.Objects) == 0:
			a.devices.Add(NewCard(info, nil))
		case a.ui.narrow():
			info.Add(actions)
			a.devices.Add(NewCard(info, nil))
		default:
			a.devices.Add(NewCard(container.NewBorder(nil, nil, nil, container.NewCenter(actions), info), nil))
		}
	}
	a.devices.Refresh()
}

// revoke asks why (lost, stolen, retired) and revokes the device.
func (a *adminScreen) revoke(d deviceRow, name string) {
	a.ui.Touch()
	reason := widget.NewEntry()
	reason.SetPlaceHolder("e.g. laptop lost on ward 7")
	a.ui.formDialog("Revoke "+name+"?", "Revoke", []*widget.FormItem{
		{Text: "Reason", Widget: reason, HintText: "Every peer will refuse this device and what it records from now on, and the ward moves to a new site key it does not have."},
	}, func() error {
		why := strings.TrimSpace(reason.Text)
		if why == "" {
			return forms.Problems{{Field: "reason", Message: "Say why the device is revoked, for the audit log."}}
		}
		a.ui.withAdminKey(func() {
			sess := a.ui.Session()
			a.ui.Run(func(ctx context.Context) error {
				return a.ui.Store().Revoke(ctx, sess, d.ID, why)
			}, func(err error) {
				if err != nil {
					a.ui.ShowError(err)
				}
			})
		})
		return nil
	})
}

// changeScopes asks what device d holds now (the chooser, with what it
// holds chosen) and records the change, signed with the admin's key.
func (a *adminScreen) changeScopes(d deviceRow, name string) {
	a.ui.Touch()
	chooseScopes(a.ui, "Change what "+name+" holds", "Its peers serve it the new choice from its next sync. Taking a ward away stops that ward's new records reaching it, but does not remove what it holds: to take everything away, revoke it.",
		"Change", func([]forms.Ward, lifeboat.Subscription) lifeboat.Subscription { return d.Holds },
		func(sub lifeboat.Subscription, _ []forms.Ward) {
			a.ui.withAdminKey(func() {
				sess := a.ui.Session()
				a.ui.Run(func(ctx context.Context) error {
					_, err := a.ui.Store().SetDeviceScopes(ctx, sess, d.ID, sub)
					return err
				}, func(err error) {
					if err != nil {
						a.ui.ShowError(err)
						return
					}
					a.load()
				})
			})
		})
}

// enrolQRSize is the QR code's side on screen: big enough for a phone
// camera across a desk.
const enrolQRSize = 260

// showEnrolDialog lets a new device enrol through this one: it listens
// for the enrolment, shows a one-time QR code and a short code, and says
// when the device has enrolled. Closing the dialog (or the code expiring)
// stops listening. done runs on Fyne's goroutine after an enrolment.
// It first says why enrolment cannot happen now, if it cannot, then asks
// for the admin's passphrase if their personal key is not open.
func showEnrolDialog(ui *UI, done func()) {
	ui.Touch()
	if ui.Sync() == nil {
		ui.ShowError(errNotSyncing)
		return
	}
	if err := ui.Store().CanEnrol(context.Background()); errors.Is(err, store.ErrKeyChangeUnderWay) {
		ui.ShowError(Plain("The site key is being changed (see Site key). Enrol new devices once the change has finished: switch on the devices it waits for, or revoke them if they are lost."))
		return
	} else if err != nil {
		ui.ShowError(err)
		return
	}
	here := ui.Site().Ward
	chooseScopes(ui, "Enrol a device", "What will the new device hold? Every device also holds the site: staff, devices and each ward's bed counts.",
		"Next", func(wards []forms.Ward, mine lifeboat.Subscription) lifeboat.Subscription {
			return thisWard(here, wards, mine)
		},
		func(sub lifeboat.Subscription, wards []forms.Ward) {
			ui.withAdminKey(func() { serveEnrolDialog(ui, sub, holdsText(sub, wards), done) })
		})
}

// serveEnrolDialog is showEnrolDialog once enrolment may go ahead: the
// new device will hold sub (holds, in words).
func serveEnrolDialog(ui *UI, sub lifeboat.Subscription, holds string, done func()) {
	join := ui.Sync().Status().Addr
	listen := ui.enrolAt
	if listen == "" {
		listen = net.JoinHostPort("0.0.0.0", strconv.Itoa(mesh.DefaultEnrolPort))
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		ui.log.Warn("enrolment listener", "err", err)
		ui.ShowError(Plain("Could not listen for the new device on port " + portOf(listen) + ": another program may be using it, or the firewall blocks it."))
		return
	}
	cert, fp, err := mesh.NewEnrolCert()
	if err != nil {
		ln.Close()
		ui.ShowError(err)
		return
	}
	invites := mesh.NewInvites(ui.now)
	addr := mesh.EnrolAddr(join, ln.Addr().String())
	iv, err := invites.Issue(ui.Site().SiteID, []string{addr}, fp)
	if err != nil {
		ln.Close()
		ui.ShowError(err)
		return
	}
	png, err := iv.QR(512)
	if err != nil {
		ln.Close()
		ui.ShowError(err)
		return
	}
	qr := canvas.NewImageFromResource(fyne.NewStaticResource("enrol.png", png))
	qr.FillMode = canvas.ImageFillContain
	qr.SetMinSize(fyne.NewSquareSize(enrolQRSize))
	short := widget.NewLabel(iv.ShortCode())
	short.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
	short.Alignment = fyne.TextAlignCenter
	status := wrapped("Waiting for the new device. The code works once, until " + iv.Expires.Local().Format("15:04") + ".")
	field := func(label, value string) fyne.CanvasObject {
		v := widget.NewLabel(value)
		v.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
		v.Wrapping = fyne.TextWrapBreak
		return container.NewBorder(nil, nil, widget.NewLabel(label), nil, v)
	}
	typed := wrapped("On a PC you can run instead:\nlifeboat enrol --short-code " + iv.ShortCode() +
		" --from " + addr + " --fingerprint " + mesh.FingerprintPrefix(fp))
	typed.TextStyle = fyne.TextStyle{Monospace: true}
	ctx, cancel := context.WithCancel(context.Background())
	sess := ui.Session()
	var d dialog.Dialog
	closeBtn := widget.NewButton("Close", func() { d.Hide() })
	code := iv.Encode()
	copyBtn := widget.NewButtonWithIcon("Copy the full code", theme.ContentCopyIcon(), func() {
		ui.app.Clipboard().SetContent(code)
	})
	what := wrapped("The new device will hold " + holds + ".")
	what.TextStyle = fyne.TextStyle{Bold: true}
	body := container.NewVBox(what,
		wrapped("On the new device, open Lifeboat and choose Join a ward. Type the short code, this device's address and the fingerprint:"),
		short, field("Address", addr), field("Fingerprint", mesh.FingerprintPrefix(fp)), status,
		wrapped("The QR code holds the whole code (LIFEBOAT1:…), for a device that can read it:"),
		container.NewCenter(qr), container.NewCenter(copyBtn), typed)
	d = dialog.NewCustomWithoutButtons("Enrol a device", container.NewBorder(nil, closeBtn, nil, nil, container.NewVScroll(body)), ui.win)
	d.SetOnClosed(cancel)
	d.Resize(fyne.NewSize(min(ui.win.Canvas().Size().Width-24, 560), min(ui.win.Canvas().Size().Height-24, 720)))
	go func() { // the code expires: stop listening
		t := time.NewTimer(iv.Expires.Sub(ui.now()))
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-ctx.Done():
		}
	}()
	go func() {
		err := mesh.ServeEnrolment(ctx, ln, mesh.EnrolConfig{Invites: invites, Cert: cert,
			Admit: func(ctx context.Context, pub ed25519.PublicKey, name string) (mesh.EnrolGrant, error) {
				a, err := ui.Store().Admit(ctx, sess, pub, name, sub...)
				if err != nil {
					return mesh.EnrolGrant{}, err
				}
				return mesh.EnrolGrant{DeviceID: a.DeviceID, SiteID: a.SiteID, SiteName: a.SiteName, Ward: a.Ward, Drill: a.Drill,
					Anchor: a.Anchor, SiteKeys: a.SiteKeys, Join: []string{join}, Devices: mesh.GrantDevices(a.Devices)}, nil
			},
			Enrolled: func(g mesh.EnrolGrant, name string) {
				ui.do(func() {
					if name == "" {
						name = "The new device"
					}
					status.SetText(name + " is enrolled (device " + g.DeviceID + "). It holds " + holds + ", and is fetching those records. You can close this.")
					short.SetText("Enrolled")
					qr.Hide()
					done()
				})
				cancel() // one device per code
			},
		})
		if err != nil {
			ui.log.Warn("enrolment stopped", "err", err)
			ui.do(func() { status.SetText("Enrolment stopped after too many wrong codes. Close this and start again.") })
		}
	}()
	d.Show()
}

// boolOrder sorts true first.
func boolOrder(b bool) int {
	if b {
		return -1
	}
	return 1
}

// portOf is the port in host:port, for messages.
func portOf(addr string) string {
	if _, p, err := net.SplitHostPort(addr); err == nil {
		return p
	}
	return addr
}
