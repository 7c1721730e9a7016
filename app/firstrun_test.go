package app

import (
	"context"
	"crypto/ed25519"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

// inWindow finds the entry with placeholder prefix ph, or the button with
// text prefix ph, in w.
func inWindow[T fyne.CanvasObject](t *testing.T, w fyne.Window, ph string) T {
	t.Helper()
	for _, o := range test.LaidOutObjects(w.Content()) {
		if !o.Visible() {
			continue
		}
		switch x := o.(type) {
		case *widget.Entry:
			if strings.HasPrefix(x.PlaceHolder, ph) {
				if v, ok := o.(T); ok {
					return v
				}
			}
		case *widget.Button:
			if strings.HasPrefix(x.Text, ph) {
				if v, ok := o.(T); ok {
					return v
				}
			}
		}
	}
	t.Fatalf("nothing %q in %q", ph, shownTexts(w))
	var zero T
	return zero
}

// A new device joins the ward from its first-run screen with the code an
// admin device shows: problems are explained first, then the enrolment
// over pinned TLS makes its store and Joined opens it.
func TestFirstRun_JoinTheWard(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Ada Admin", cli.DemoAdminPIN)
	admin := ui.Session()
	if err := db.UnlockAdmin(t.Context(), admin, cli.DemoAdminPassphrase); err != nil {
		t.Fatal(err)
	}
	cert, fp, err := mesh.NewEnrolCert()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	invites := mesh.NewInvites(nil)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- mesh.ServeEnrolment(ctx, ln, mesh.EnrolConfig{Invites: invites, Cert: cert,
			Admit: func(ctx context.Context, pub ed25519.PublicKey, name string) (mesh.EnrolGrant, error) {
				a, err := db.Admit(ctx, admin, pub, name)
				return mesh.EnrolGrant{DeviceID: a.DeviceID, SiteID: a.SiteID, SiteName: a.SiteName, Ward: a.Ward,
					Anchor: a.Anchor, SiteKeys: a.SiteKeys, Join: []string{"127.0.0.1:7946"}}, err
			}})
	}()
	t.Cleanup(func() { cancel(); <-served })
	iv, err := invites.Issue(ui.Site().SiteID, []string{ln.Addr().String()}, fp)
	if err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "phone")
	w := test.NewTempWindow(t, nil)
	w.Resize(phone)
	var joined atomic.Bool
	ShowFirstRun(w, dir, FirstRun{
		Enrol: func(ctx context.Context, j JoinRequest) error {
			with, err := cli.ParseEnrolment(j.Code, j.ShortCode, j.From, j.Fingerprint)
			if err != nil {
				return Plain(err.Error())
			}
			_, err = cli.EnrolDevice(ctx, dir, with, j.Name, j.Passphrase, store.TestKDF)
			return err
		},
		Joined: func() { joined.Store(true) },
	})
	join := inWindow[*widget.Button](t, w, "Join the ward")
	test.Tap(join)
	for _, want := range []string{"Type or paste the enrolment code", "Give this device a name", "at least 12 characters"} {
		if !strings.Contains(strings.Join(shownTexts(w), " "), want) {
			t.Errorf("empty form: screen shows %q, want %q", shownTexts(w), want)
		}
	}
	// The short code needs the address and fingerprint.
	test.Type(inWindow[*widget.Entry](t, w, "LIFEBOAT1:"), iv.ShortCode())
	test.Type(inWindow[*widget.Entry](t, w, "This device's name"), "Ward 7 phone 2")
	test.Type(inWindow[*widget.Entry](t, w, "Ward passphrase (from"), "a long ward passphrase")
	test.Type(inWindow[*widget.Entry](t, w, "Ward passphrase again"), "a long ward passphrase")
	test.Tap(join)
	if !strings.Contains(strings.Join(shownTexts(w), " "), "also type the admin device's address") {
		t.Errorf("short code alone: screen shows %q", shownTexts(w))
	}
	test.Type(inWindow[*widget.Entry](t, w, "Admin device address"), ln.Addr().String())
	test.Type(inWindow[*widget.Entry](t, w, "16-letter fingerprint"), mesh.FingerprintPrefix(fp))
	test.Tap(join)
	deadline := time.Now().Add(20 * time.Second)
	for !joined.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("not joined within 20s; screen shows %q", shownTexts(w))
		}
		time.Sleep(10 * time.Millisecond)
	}
	conf, err := cli.LoadSyncConf(dir)
	if err != nil || len(conf.Join) != 1 {
		t.Errorf("sync.json = %+v, %v; want the ward's address", conf, err)
	}
	nd, err := store.Open(t.Context(), filepath.Join(dir, cli.StoreFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer nd.Close()
	if err := nd.Unlock(t.Context(), "a long ward passphrase"); err != nil {
		t.Fatal(err)
	}
	if info, _ := nd.Site(t.Context()); info.SiteID != ui.Site().SiteID {
		t.Errorf("the new store is in site %q, want %q", info.SiteID, ui.Site().SiteID)
	}
	// The code is spent: a second device cannot use it.
	if _, err := cli.EnrolDevice(t.Context(), filepath.Join(t.TempDir(), "other"), mesh.EnrolWith{ShortCode: iv.ShortCode(), Addr: ln.Addr().String(), Fingerprint: mesh.FingerprintPrefix(fp)},
		"other", "a long ward passphrase", store.TestKDF); err == nil {
		t.Error("a used code enrolled a second device")
	}
}

// The first device of a new ward is set up from its first-run screen:
// every problem is listed first, then the store is made and Joined opens it.
func TestFirstRun_SetUpANewWard(t *testing.T) {
	test.NewTempApp(t)
	dir := t.TempDir()
	path := filepath.Join(dir, cli.StoreFile)
	w := test.NewTempWindow(t, nil)
	w.Resize(desktop)
	var ready atomic.Bool
	ShowFirstRun(w, dir, FirstRun{
		Setup: func(ctx context.Context, s store.Setup) error {
			s.KDF, s.AdminKDF = store.TestKDF, store.TestKDF
			db, _, err := store.Init(ctx, path, s, store.Options{NoBackup: true})
			if err != nil {
				return err
			}
			return db.Close()
		},
		Joined: func() { ready.Store(true) },
	})
	test.Tap(inWindow[*widget.Button](t, w, "Set up a new ward on this device"))
	create := inWindow[*widget.Button](t, w, "Set up the ward")
	test.Type(inWindow[*widget.Entry](t, w, "Your PIN (4"), "1234")
	test.Tap(create)
	shown := strings.Join(shownTexts(w), " ")
	for _, want := range []string{"Site name is required.", "Ward name is required.", "Admin PIN: a PIN must not be a run like 1234 or 1111.", "Choose a break-glass PIN", "at least 12 characters"} {
		if !strings.Contains(shown, want) {
			t.Errorf("empty form: screen shows %q, want %q", shown, want)
		}
	}
	if ready.Load() {
		t.Fatal("set up with problems")
	}
	for ph, v := range map[string]string{"Site (hospital)": "St Elsewhere General", "Ward name": "Ward 7B", "Your full name": "Ada Admin",
		"Your PIN again": "2580", "Break-glass PIN": "7391",
		"Your own admin passphrase": "ada's admin passphrase", "Your admin passphrase again": "ada's admin passphrase", "New ward passphrase (12": "a long ward passphrase", "New ward passphrase again": "a long ward passphrase"} {
		test.Type(inWindow[*widget.Entry](t, w, ph), v)
	}
	pin := inWindow[*widget.Entry](t, w, "Your PIN (4")
	pin.SetText("")
	test.Type(pin, "2580")
	test.Tap(create)
	deadline := time.Now().Add(20 * time.Second)
	for !ready.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("not set up within 20s; screen shows %q", shownTexts(w))
		}
		time.Sleep(10 * time.Millisecond)
	}
	db, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(t.Context(), "a long ward passphrase"); err != nil {
		t.Fatal(err)
	}
	info, _ := db.Site(t.Context())
	users, _ := db.Users(t.Context())
	if info.SiteName != "St Elsewhere General" || info.Ward != "Ward 7B" || len(users) != 2 {
		t.Errorf("site %+v with %d users; want St Elsewhere General, Ward 7B, the admin and break-glass", info, len(users))
	}
}

// mustBeInView fails unless o is drawn wholly inside w and inside the
// view of every scroll that holds it: on screen without scrolling.
func mustBeInView(t *testing.T, w fyne.Window, o fyne.CanvasObject, what string) {
	t.Helper()
	d := fyne.CurrentApp().Driver()
	top := d.AbsolutePositionForObject(o).Y
	bottom := top + o.Size().Height
	if h := w.Canvas().Size().Height; top < 0 || bottom > h {
		t.Errorf("%s drawn at y %v-%v, outside the window (height %v)", what, top, bottom, h)
		return
	}
	for _, s := range test.LaidOutObjects(w.Canvas().Content()) {
		sc, ok := s.(*container.Scroll)
		if !ok || !sc.Visible() || !contains(sc.Content, o) {
			continue
		}
		st := d.AbsolutePositionForObject(sc).Y
		if top < st || bottom > st+sc.Size().Height {
			t.Errorf("%s at y %v-%v is scrolled out of view %v-%v", what, top, bottom, st, st+sc.Size().Height)
		}
	}
}
