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
