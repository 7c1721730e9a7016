package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"lifeboat/store"
)

// enrolExtra enrols a fresh device key in the store at dir and returns
// its ID.
func enrolExtra(t *testing.T, dir, name string) string {
	t.Helper()
	ctx := t.Context()
	other, err := store.Create(ctx, filepath.Join(t.TempDir(), "other.lifeboat"), passphrase, store.TestKDF, store.Options{NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := other.DevicePublicKey(ctx)
	other.Close()
	db, s := openAsAdmin(t, dir)
	defer db.Close()
	id, err := db.Enrol(ctx, s, pub, name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRevoke_ListRevokeAndTheKeyChange(t *testing.T) {
	dir := mustInit(t)
	mustQuarantine(t, dir) // adds Nia Nurse (4826)
	lost := enrolExtra(t, dir, "lost laptop")
	keep := enrolExtra(t, dir, "ward pc")

	out, err := run(t, dir, passphrase+"\n", "devices")
	if err != nil || !strings.Contains(out, lost+"  active") || !strings.Contains(out, "(this device)") || strings.Contains(out, "Site key") {
		t.Fatalf("devices = %q, %v; want the devices, active, and no key change", out, err)
	}
	for _, c := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"revoke", lost, "--user", "Ada Admin"}, passphrase + "\n2580\n" + adminPassphrase + "\n", "--reason"},
		{[]string{"revoke", "NOSUCHDEV", "--reason", "x", "--user", "Ada Admin"}, passphrase + "\n2580\n" + adminPassphrase + "\n", "no device NOSUCHDEV"},
		{[]string{"revoke", lost, "--reason", "x", "--user", "Nia Nurse"}, passphrase + "\n4826\n", "only an IT admin"},
	} {
		if out, err := run(t, dir, c.stdin, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v = %q, %v; want an error saying %q", c.args, out, err, c.want)
		}
	}
	out, err = run(t, dir, passphrase+"\n2580\n"+adminPassphrase+"\n", "revoke", lost, "--reason", "left on the bus", "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, "Revoked "+lost) {
		t.Fatalf("revoke = %q, %v", out, err)
	}
	if out, err := run(t, dir, passphrase+"\n2580\n"+adminPassphrase+"\n", "revoke", lost, "--reason", "again", "--user", "Ada Admin"); err == nil || !strings.Contains(err.Error(), "already revoked") {
		t.Errorf("revoke again = %q, %v; want already revoked", out, err)
	}
	out, err = run(t, dir, passphrase+"\n", "devices")
	if err != nil || !strings.Contains(out, lost+"  REVOKED") || !strings.Contains(out, "(after revoking "+lost) ||
		!strings.Contains(out, "waiting for") || !strings.Contains(out, keep) {
		t.Errorf("devices after revoke = %q, %v; want it revoked and the key change waiting for the others", out, err)
	}
	if out, err := run(t, dir, passphrase+"\n", "verify"); err != nil {
		t.Errorf("verify after revoke = %q, %v", out, err)
	}
	// While the change waits for the ward PC, this device enrols no one.
	if out, err := run(t, dir, passphrase+"\n2580\n"+adminPassphrase+"\n", "invite", "--user", "Ada Admin", "--listen", "127.0.0.1:0"); err == nil ||
		!strings.Contains(err.Error(), "the site key is being changed") || strings.Contains(out, "LIFEBOAT1:") {
		t.Errorf("invite during the key change = %q, %v; want it refused before any code is shown", out, err)
	}
}

// TestScopes_SetThroughTheCommand: an IT admin narrows a ward PC to its
// ward; a nurse cannot widen it; `devices` shows what each holds.
func TestScopes_SetThroughTheCommand(t *testing.T) {
	dir := mustInit(t)
	mustQuarantine(t, dir) // adds Nia Nurse (4826)
	pc := enrolExtra(t, dir, "ward pc")
	admin := passphrase + "\n2580\n" + adminPassphrase + "\n"
	for _, c := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"scopes", pc, "--user", "Ada Admin"}, admin, "--set"},
		{[]string{"scopes", pc, "--set", "ward:", "--user", "Ada Admin"}, admin, "not site, pharmacy"},
		{[]string{"scopes", pc, "--set", "everything", "--user", "Ada Admin"}, admin, "not site, pharmacy"},
		{[]string{"scopes", pc, "--set", "forward:site", "--user", "Ada Admin"}, admin, "not site, pharmacy"},
		{[]string{"scopes", "NOSUCHDEV", "--set", "ward:W07", "--user", "Ada Admin"}, admin, "no device NOSUCHDEV"},
		{[]string{"scopes", pc, "--set", "*", "--user", "Nia Nurse"}, passphrase + "\n4826\n", "only an IT admin"},
	} {
		if out, err := run(t, dir, c.stdin, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v = %q, %v; want an error saying %q", c.args, out, err, c.want)
		}
	}
	out, err := run(t, dir, admin, "scopes", pc, "--set", "ward:W07, ward:W08", "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, pc+" now holds ward:W07,ward:W08") {
		t.Fatalf("scopes = %q, %v", out, err)
	}
	out, err = run(t, dir, passphrase+"\n", "devices")
	if err != nil || !strings.Contains(out, pc+"  active  holds ward:W07,ward:W08") || !strings.Contains(out, "(this device)  holds *") {
		t.Fatalf("devices = %q, %v; want the PC holding its two wards and this device every scope", out, err)
	}
	// A relay: every ward held sealed, none read.
	out, err = run(t, dir, admin, "scopes", pc, "--set", "forward:*", "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, pc+" now holds forward:*") {
		t.Fatalf("scopes --set forward:* = %q, %v", out, err)
	}
}
