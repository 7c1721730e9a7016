package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	"lifeboat/sync/mesh/meshtest"
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

// adminDevice is an admin device showing enrolment codes on loopback, over
// the demo ward's store: the other end of a Join.
type adminDevice struct {
	ui      *UI
	db      *store.DB
	invites *mesh.Invites
	fp      [32]byte
	addr    string
	join    []string // the ward's sync addresses the grant names
	mu      sync.Mutex
	ahead   time.Duration // how far its clock is ahead of the real time
	now     time.Time     // its invites' clock; zero: the real time
}

// newAdminDevice signs Ada Admin in on the demo ward at size and serves
// enrolment on loopback; a device named "refuse me" is refused.
func newAdminDevice(t *testing.T, join ...string) *adminDevice {
	t.Helper()
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
	if join == nil {
		join = []string{"127.0.0.1:7946"}
	}
	a := &adminDevice{ui: ui, db: db, fp: fp, addr: ln.Addr().String(), join: join}
	a.invites = mesh.NewInvites(func() time.Time {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.now.IsZero() {
			return time.Now()
		}
		return a.now
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- mesh.ServeEnrolment(ctx, ln, mesh.EnrolConfig{Invites: a.invites, Cert: cert,
			Now: func() time.Time { a.mu.Lock(); defer a.mu.Unlock(); return time.Now().Add(a.ahead) },
			Admit: func(ctx context.Context, pub ed25519.PublicKey, name string) (mesh.EnrolGrant, error) {
				if name == "refuse me" {
					return mesh.EnrolGrant{}, errors.New("refused in this test")
				}
				ad, err := db.Admit(ctx, admin, pub, name)
				return mesh.EnrolGrant{DeviceID: ad.DeviceID, SiteID: ad.SiteID, SiteName: ad.SiteName, Ward: ad.Ward,
					Anchor: ad.Anchor, SiteKeys: ad.SiteKeys, Join: a.join, Devices: mesh.GrantDevices(mustDevices(t, db))}, err
			}})
	}()
	t.Cleanup(func() { cancel(); <-served })
	return a
}

// mustDevices is the public keys of the devices db knows.
func mustDevices(t *testing.T, db *store.DB) []ed25519.PublicKey {
	devs, err := db.Devices(context.Background())
	if err != nil {
		t.Error(err)
	}
	var out []ed25519.PublicKey
	for _, d := range devs {
		out = append(out, d.PublicKey)
	}
	return out
}

// issue shows a new code.
func (a *adminDevice) issue(t *testing.T) mesh.Invite {
	t.Helper()
	iv, err := a.invites.Issue(a.ui.Site().SiteID, []string{a.addr}, a.fp)
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

// enrolLikeTheApp is the first-run screen's Enrol as cmd/lifeboat's
// enrolHere wires it, into the data folder *dir.
func enrolLikeTheApp(dir *string) func(ctx context.Context, j JoinRequest) error {
	return func(ctx context.Context, j JoinRequest) error {
		with, err := cli.ParseEnrolment(j.Code, j.ShortCode, j.From, j.Fingerprint)
		if err != nil {
			return Plain(err.Error())
		}
		_, err = cli.EnrolDevice(ctx, *dir, with, j.Name, j.Passphrase, store.TestKDF)
		return err
	}
}

// fillJoin types a join request into the first-run form (clearing what
// was there) and taps Join the ward, then waits for the answer: Joined,
// or a message.
func fillJoin(t *testing.T, w fyne.Window, code, from, fp, name string, joined *atomic.Bool) string {
	t.Helper()
	set := func(ph, v string) {
		e := inWindow[*widget.Entry](t, w, ph)
		e.SetText("")
		if v != "" {
			test.Type(e, v)
		}
	}
	set("LIFEBOAT1:", code)
	if !strings.HasPrefix(code, "LIFEBOAT1:") {
		set("Admin device address", from)
		set("16-letter fingerprint", fp)
	}
	set("This device's name", name)
	set("Ward passphrase (from", "a long ward passphrase")
	set("Ward passphrase again", "a long ward passphrase")
	join := inWindow[*widget.Button](t, w, "Join the ward")
	test.Tap(join)
	// The answer comes on the enrolment's goroutine (fyne.Do runs it
	// there under the test driver): wait for it to be shown.
	said := func() *widget.Label {
		for _, o := range test.LaidOutObjects(w.Content()) {
			if l, ok := o.(*widget.Label); ok && l.Visible() && l.Importance == widget.DangerImportance && l.Text != "" {
				return l
			}
		}
		return nil
	}
	deadline := time.Now().Add(20 * time.Second)
	for join.Disabled() || !joined.Load() && said() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no answer within 20s; screen shows %q", shownTexts(w))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if joined.Load() {
		return ""
	}
	relayoutWindow(w)
	mustBeInView(t, w, join, "Join the ward, under the message")
	return said().Text
}

// Every way joining can fail says why in its own words, through the
// first-run screen and a real enrolment against an admin device on
// loopback, with Join still in view under the message on a phone; a code
// typed with 0 for O and in lower case joins. Fails on the code before
// this change: every failure said "Could not reach the admin device".
func TestFirstRun_JoinFailuresSayWhy(t *testing.T) {
	a := newAdminDevice(t)
	fp := mesh.FingerprintPrefix(a.fp)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := closed.Addr().String()
	closed.Close()

	for _, size := range []fyne.Size{phone, desktop} {
		t.Run(sizeName(size), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "phone")
			w := test.NewTempWindow(t, nil)
			w.Resize(size)
			var joined atomic.Bool
			ShowFirstRun(w, dir, FirstRun{Enrol: enrolLikeTheApp(&dir), Joined: func() { joined.Store(true) }})
			// Fixed words for the golden: nothing listens on port 1.
			got := fillJoin(t, w, "ABCD-EFGH-JKLM-NPQR", "127.0.0.1:1", "3f2a9c0d11e4b7a2", "Ward 7 phone 2", &joined)
			if want := "Could not reach the admin device at 127.0.0.1:1. Check the address and port"; !strings.HasPrefix(got, want) {
				t.Errorf("nobody at the address: %q, want %q", got, want)
			}
			windowGolden(t, w, "firstrun_join_error_"+sizeSuffix(size))
			if size == desktop {
				return
			}
			for _, tc := range []struct {
				name                string
				code, from, fp, who string
				before              func()
				want                string
			}{
				{name: "nobody at the address", code: a.issue(t).ShortCode(), from: nobody, want: "Could not reach the admin device at " + nobody + "."},
				{name: "wrong code", code: wrongLetter(a.issue(t).ShortCode()), want: "The admin device does not know that code."},
				{name: "digit 1", code: "AB1D-EFGH-JKLM-NPQR", want: "Short codes use the letters I and L, never the digit 1"},
				{name: "wrong fingerprint", code: a.issue(t).ShortCode(), fp: "0123456789abcdef", want: "The device that answered at " + a.addr + " is not the one showing this code."},
				{name: "expired", code: a.issue(t).Encode(), before: func() { a.mu.Lock(); a.now = time.Now().Add(mesh.InviteTTL + time.Minute); a.mu.Unlock() },
					want: "That code has expired: codes last 10 minutes."},
				{name: "clock behind", code: a.issue(t).ShortCode(), before: func() { a.mu.Lock(); a.now, a.ahead = time.Time{}, 12*time.Minute; a.mu.Unlock() },
					want: "This device's clock is 12 min behind the admin device's"},
				{name: "refused", code: a.issue(t).ShortCode(), who: "refuse me", before: func() { a.mu.Lock(); a.ahead = 0; a.mu.Unlock() },
					want: "The admin device refused to enrol this device."},
				{name: "already enrolled", code: a.issue(t).ShortCode(), before: func() {
					if err := os.MkdirAll(dir, 0o700); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, cli.StoreFile), nil, 0o600); err != nil {
						t.Fatal(err)
					}
				}, want: "This device already belongs to a ward."},
			} {
				if tc.before != nil {
					tc.before()
				}
				from, f, who := a.addr, fp, "Ward 7 phone 2"
				if tc.from != "" {
					from = tc.from
				}
				if tc.fp != "" {
					f = tc.fp
				}
				if tc.who != "" {
					who = tc.who
				}
				if got := fillJoin(t, w, tc.code, from, f, who, &joined); !strings.HasPrefix(got, tc.want) {
					t.Errorf("%s: screen says %q, want %q", tc.name, got, tc.want)
				}
				if _, err := os.Stat(filepath.Join(dir, cli.StoreFile+"-wal")); err == nil {
					t.Errorf("%s: a failed join left a store behind", tc.name)
				}
			}
			os.RemoveAll(dir)

			// A code with an O, typed with 0 for it, loosely: it joins.
			iv := a.issue(t)
			for i := 0; !strings.Contains(iv.ShortCode(), "O") && i < 200; i++ {
				iv = a.issue(t)
			}
			typed := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(iv.ShortCode(), "O", "0"), "-", " "))
			if got := fillJoin(t, w, typed, a.addr, strings.ToUpper(fp), "Ward 7 phone 2", &joined); got != "" || !joined.Load() {
				t.Fatalf("code typed as %q (for %s): screen says %q, want joined", typed, iv.ShortCode(), got)
			}
		})
	}
}

// wrongLetter changes a short code's first letter to another in the
// alphabet.
func wrongLetter(code string) string {
	b := []byte(code)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// relayoutWindow lays w out again, as relayout does for a UI's window.
func relayoutWindow(w fyne.Window) {
	for range 2 {
		w.Content().Refresh()
	}
}

// windowGolden compares w with testdata/<name>.png (rewritten with
// -update; look at it after).
func windowGolden(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	relayoutWindow(w)
	img := w.Canvas().Capture()
	if *update {
		writePNG(t, filepath.Join("testdata", name+".png"), img)
	}
	test.AssertImageMatches(t, name+".png", img)
}

// A device joins the ward from its first-run screen and opens its new
// store, as cmd/lifeboat's Joined does: until its first sync has brought
// the staff list the sign-in screen says what it is waiting for, then the
// people appear without a restart and can sign in. Fails on the code
// before this change: the list was read once, before the sync, and stayed
// empty until Lifeboat was opened again.
func TestFirstRun_JoinThenStaffArrive(t *testing.T) {
	a := newAdminDevice(t)
	adminNode := meshtest.Start(t, a.db)
	a.mu.Lock()
	a.join = []string{adminNode.Addr()}
	a.mu.Unlock()
	fp := mesh.FingerprintPrefix(a.fp)

	for _, size := range []fyne.Size{phone, desktop} {
		t.Run(sizeName(size), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "phone")
			w := test.NewTempWindow(t, nil)
			w.Resize(size)
			var joined atomic.Bool
			ShowFirstRun(w, dir, FirstRun{Enrol: enrolLikeTheApp(&dir), Joined: func() { joined.Store(true) }})
			if got := fillJoin(t, w, a.issue(t).ShortCode(), a.addr, fp, "Ward 7 phone 2", &joined); got != "" {
				t.Fatalf("join: %q", got)
			}
			conf, err := cli.LoadSyncConf(dir)
			if err != nil || len(conf.Join) != 1 || conf.Join[0] != adminNode.Addr() {
				t.Fatalf("sync.json = %+v, %v; want the admin device's sync address %s", conf, err, adminNode.Addr())
			}

			// Joined: the new store in the window, syncing with the ward
			// once the test lets its node run.
			db, err := store.Open(t.Context(), filepath.Join(dir, cli.StoreFile), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			release := make(chan struct{})
			var once sync.Once
			t.Cleanup(func() { once.Do(func() { close(release) }) })
			ui := newUI(fyne.CurrentApp(), w, db, Options{StaffFrom: "10.1.7.20:7946", StartSync: func(context.Context) (Sync, func(), error) {
				node, err := mesh.New(meshtest.Config(db, conf.Join...))
				if err != nil {
					return nil, nil, err
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() {
					select {
					case <-release:
						done <- node.Run(ctx)
					case <-ctx.Done():
						done <- node.Close()
					}
				}()
				return node, func() { cancel(); <-done }, nil
			}}, testDo.add)
			t.Cleanup(ui.Close)
			settle(ui)
			test.Type(entry(t, ui, "Ward passphrase"), "a long ward passphrase")
			tap(t, ui, "Unlock")
			want := "Waiting for the ward's staff list from 10.1.7.20:7946…"
			mustShow(t, ui, "Who are you?", want)
			if shows(ui, "Nia Nurse") {
				t.Fatalf("staff listed before any sync: %q", texts(ui))
			}
			golden(t, ui, "signin_waiting_for_staff_"+sizeSuffix(size))

			once.Do(func() { close(release) }) // the first sync may start
			deadline := time.Now().Add(30 * time.Second)
			for !shows(ui, "Nia Nurse") {
				if time.Now().After(deadline) {
					t.Fatalf("no staff within 30s of syncing; screen shows %q", texts(ui))
				}
				time.Sleep(20 * time.Millisecond)
				settle(ui)
			}
			mustShow(t, ui, "Ada Admin", "Phil Pharmacist")
			if shows(ui, "Waiting for the ward's staff list") {
				t.Errorf("still waiting with the staff listed: %q", texts(ui))
			}
			tap(t, ui, "Nia Nurse")
			typePIN(t, ui, cli.DemoNursePIN)
			tap(t, ui, "Sign in")
			if ui.Session() == nil || ui.Session().User.Name != "Nia Nurse" {
				t.Fatalf("Nia Nurse could not sign in on the new device; screen shows %q", texts(ui))
			}
		})
	}
}
