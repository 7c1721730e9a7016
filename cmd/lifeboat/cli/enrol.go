package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/spf13/cobra"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

func inviteCmd(env *Env) *cobra.Command {
	var (
		who                     personFlags
		bind, advertise, listen string
		addr, qrFile, scopes    string
		join                    []string
		devices                 int
		wait                    time.Duration
	)
	c := &cobra.Command{
		Use:   "invite",
		Short: "Enrol new devices into this ward (IT admin): show a one-time code",
		Long: `Show a one-time enrolment code (a QR code and a short code to type) that a
new device uses with ` + "`lifeboat enrol`" + ` to join this site, valid for 10
minutes and for one device. The code carries this device's address, the
fingerprint of a certificate made for this enrolment and a random token:
never the site key, which the new device receives over TLS pinned to that
fingerprint once it proves the token. The new device's enrolment is an
event signed here, in your name.

While it runs this device also syncs with the ward (as ` + "`lifeboat serve`" + `
does) so the new device can fetch the ward's records from it. It stops
once the new devices have synced and left, or when the code expires.`,
		Example: `  lifeboat invite --user "Ada Admin"
  lifeboat invite --user "Ada Admin" --qr invite.png --join 10.0.7.21:7946`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if devices < 1 || devices > 20 {
				return fmt.Errorf("--devices must be between 1 and 20")
			}
			sub, err := parseScopes(scopes)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, s, done, err := who.open(ctx, cmd, env)
			if err != nil {
				return err
			}
			defer done()
			if s.User.Role != lifeboat.RoleITAdmin {
				return fmt.Errorf("only an IT admin can enrol devices; %s is not one", s.User.Name)
			}
			if err := db.CanEnrol(ctx); errors.Is(err, store.ErrKeyChangeUnderWay) {
				return fmt.Errorf("the site key is being changed: enrol new devices once the change has finished. `lifeboat devices` shows the devices it waits for: switch them on, or revoke them if they are lost")
			} else if err != nil {
				return err
			}
			dir := filepath.Dir(db.Path())
			if len(join) == 0 {
				conf, err := LoadSyncConf(dir)
				if err != nil {
					return err
				}
				join = conf.Join
			}
			cfg, err := MeshConfig(bind, advertise, join)
			if err != nil {
				return err
			}
			cfg.Store = db
			node, err := mesh.New(cfg)
			if err != nil {
				return fmt.Errorf("start sync: %w", err)
			}
			defer node.Close()
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			nodeDone := make(chan error, 1)
			go func() { nodeDone <- node.Run(ctx) }()

			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", listen, err)
			}
			if addr == "" {
				addr = mesh.EnrolAddr(node.Addr(), ln.Addr().String())
			}
			if _, _, err := splitHostPort(addr); err != nil {
				ln.Close()
				return fmt.Errorf("--addr %q: %w", addr, err)
			}
			cert, fp, err := mesh.NewEnrolCert()
			if err != nil {
				ln.Close()
				return err
			}
			info, err := db.Site(ctx)
			if err != nil {
				ln.Close()
				return err
			}
			invites := mesh.NewInvites(nil)
			iv, err := invites.Issue(info.SiteID, []string{addr}, fp)
			if err != nil {
				ln.Close()
				return err
			}
			grantJoin := append([]string{node.Addr()}, join...)
			enrolled := make(chan string, devices)
			served := make(chan error, 1)
			go func() {
				served <- mesh.ServeEnrolment(ctx, ln, mesh.EnrolConfig{Invites: invites, Cert: cert,
					Admit: func(ctx context.Context, pub ed25519.PublicKey, name string) (mesh.EnrolGrant, error) {
						a, err := db.Admit(ctx, s, pub, name, sub...)
						if err != nil {
							return mesh.EnrolGrant{}, err
						}
						return grantOf(a, grantJoin), nil
					},
					Enrolled: func(g mesh.EnrolGrant, name string) { enrolled <- g.DeviceID },
				})
			}()
			out := cmd.OutOrStdout()
			if err := showInvite(out, iv, fp, addr, qrFile); err != nil {
				return err
			}
			expiry := time.NewTimer(time.Until(iv.Expires))
			defer expiry.Stop()
			var joined []string
			for len(joined) < devices {
				select {
				case id := <-enrolled:
					joined = append(joined, id)
					fmt.Fprintf(out, "Enrolled device %s. Waiting for it to sync...\n", id)
					if len(joined) < devices {
						if iv, err = invites.Issue(info.SiteID, []string{addr}, fp); err != nil {
							return err
						}
						expiry.Reset(time.Until(iv.Expires))
						fmt.Fprintln(out, "Next device:")
						if err := showInvite(out, iv, fp, addr, qrFile); err != nil {
							return err
						}
					}
				case <-expiry.C:
					if len(joined) == 0 {
						return fmt.Errorf("the enrolment code expired with no device enrolled: run `lifeboat invite` again")
					}
					devices = len(joined)
				case err := <-served:
					if err != nil {
						return fmt.Errorf("enrolment: %w", err)
					}
					return ctx.Err()
				case err := <-nodeDone:
					return fmt.Errorf("sync stopped: %w", err)
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			ln.Close()
			// Serve the ward's records until each new device has synced
			// and left (`lifeboat enrol` leaves when it has everything).
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			seen := map[string]bool{}
			deadline := time.Now().Add(wait)
			for {
				live := map[string]bool{}
				for _, p := range node.Status().Peers {
					live[p.Device] = true
					seen[p.Device] = true
				}
				left := 0
				for _, id := range joined {
					if seen[id] && !live[id] {
						left++
					}
				}
				if left == len(joined) {
					fmt.Fprintln(out, "Done: the new devices have synced.")
					return nil
				}
				if time.Now().After(deadline) {
					fmt.Fprintln(out, "Stopped waiting: the new devices are enrolled and will finish syncing with the ward.")
					return nil
				}
				select {
				case <-tick.C:
				case <-ctx.Done():
					return nil
				case err := <-nodeDone:
					return fmt.Errorf("sync stopped: %w", err)
				}
			}
		},
	}
	who.addAdmin(c)
	f := c.Flags()
	f.StringVar(&bind, "bind", net.JoinHostPort("0.0.0.0", strconv.Itoa(mesh.DefaultBindPort)), "sync: address and port to listen on (UDP and TCP)")
	f.StringVar(&advertise, "advertise", "", "sync: address and port to tell peers, if not the bound one")
	f.StringSliceVar(&join, "join", nil, "sync: address:port of ward peers (default: those in "+SyncFile+")")
	f.StringVar(&listen, "listen", net.JoinHostPort("0.0.0.0", strconv.Itoa(mesh.DefaultEnrolPort)), "enrolment: address and port to listen on (TCP)")
	f.StringVar(&addr, "addr", "", "enrolment: address:port the new device connects to (default: this device's sync address with the --listen port)")
	f.StringVar(&qrFile, "qr", "", "also write the QR code to this PNG file")
	f.IntVar(&devices, "devices", 1, "how many devices to enrol, one code each")
	f.StringVar(&scopes, "scopes", "", "what the new devices hold: ward:<id>, pharmacy, site, * (reads all) or forward:* (a relay: every ward sealed, none read); comma-separated; default every scope")
	f.DurationVar(&wait, "wait", 10*time.Minute, "how long to keep serving the new devices' first sync")
	return c
}

func grantOf(a store.Admission, join []string) mesh.EnrolGrant {
	return mesh.EnrolGrant{DeviceID: a.DeviceID, SiteID: a.SiteID, SiteName: a.SiteName, Ward: a.Ward, Drill: a.Drill,
		Anchor: a.Anchor, SiteKeys: a.SiteKeys, Join: join, Devices: mesh.GrantDevices(a.Devices)}
}

// showInvite prints the code three ways: a QR code drawn in the terminal,
// the payload to paste, and the short code with address and fingerprint
// to type.
func showInvite(out io.Writer, iv mesh.Invite, fp [32]byte, addr, qrFile string) error {
	q, err := qrcode.New(iv.Encode(), qrcode.Medium)
	if err != nil {
		return fmt.Errorf("draw enrolment code: %w", err)
	}
	if qrFile != "" {
		png, err := iv.QR(512)
		if err != nil {
			return err
		}
		if err := os.WriteFile(qrFile, png, 0o600); err != nil {
			return fmt.Errorf("write --qr: %w", err)
		}
	}
	fmt.Fprint(out, q.ToSmallString(false))
	fmt.Fprintf(out, "Enrolment code (valid until %s, one device):\n  %s\n", iv.Expires.Local().Format("15:04"), iv.Encode())
	fmt.Fprintf(out, "Or type on the new device:\n  lifeboat enrol --short-code %s --from %s --fingerprint %s\n",
		iv.ShortCode(), addr, mesh.FingerprintPrefix(fp))
	if qrFile != "" {
		fmt.Fprintf(out, "QR code written to %s\n", qrFile)
	}
	return nil
}

func enrolCmd(env *Env) *cobra.Command {
	var (
		code, codeFile, short, from, fingerprint string
		name, passFile, bind                     string
		wait                                     time.Duration
	)
	c := &cobra.Command{
		Use:   "enrol",
		Short: "Join this device to a ward with a code from `lifeboat invite`",
		Long: `Make a new store in the data folder and enrol it into the site whose IT
admin is running ` + "`lifeboat invite`" + `: with the code it shows (--code, or
--code-file holding it), or the short code typed with the admin device's
address and fingerprint. The connection is TLS pinned to that fingerprint;
nothing else is trusted. The ward passphrase (from the sealed downtime
pack) protects this device's store.

Then the device syncs the ward's records (staff, patients, everything) and
remembers the ward's addresses in ` + SyncFile + `, so the app and ` + "`lifeboat serve`" + `
join the ward with no flags. If enrolment fails nothing is left behind.`,
		Example: `  lifeboat enrol --code LIFEBOAT1:AE... --name "Ward 7 laptop 3"
  lifeboat enrol --short-code ABCD-EFGH-JKLM-NPQR --from 10.0.7.20:7947 --fingerprint 3f2a9c0d11e4b7a2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if codeFile != "" {
				b, err := os.ReadFile(codeFile)
				if err != nil {
					return fmt.Errorf("read --code-file: %w", err)
				}
				code = string(b)
			}
			with, err := ParseEnrolment(code, short, from, fingerprint)
			if err != nil {
				return err
			}
			if name = strings.TrimSpace(name); name == "" {
				host, _ := os.Hostname()
				name = host
			}
			release, err := env.lock(cmd)
			if err != nil {
				return err
			}
			defer release()
			ctx := cmd.Context()
			dir, path, err := env.storePath(cmd)
			if err != nil {
				return err
			}
			if _, err := os.Stat(path); err == nil {
				return fmt.Errorf("%s already holds a Lifeboat store: enrol into an empty data folder (--data): %w", dir, mesh.ErrAlreadyEnrolled)
			}
			pass, err := env.prompter(cmd.ErrOrStderr()).secret("Ward passphrase", passFile)
			if err != nil {
				return err
			}
			g, err := EnrolDevice(ctx, dir, with, name, pass, env.KDF)
			if err != nil {
				return err
			}
			db, err := store.Open(ctx, path, store.Options{})
			if err != nil {
				return plain(err)
			}
			defer db.Close()
			if err := db.Unlock(ctx, pass); err != nil {
				return plain(err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Enrolled as device %s in %s, %s.\n", g.DeviceID, g.SiteName, g.Ward)
			cfg, err := MeshConfig(bind, "", g.Join)
			if err != nil {
				return err
			}
			cfg.Store = db
			synced, err := firstSync(ctx, cfg, wait, out)
			if err != nil {
				return err
			}
			if !synced {
				fmt.Fprintln(out, "Not fully synced yet: the app will finish syncing with the ward when it is next unlocked.")
				return nil
			}
			fmt.Fprintln(out, "Synced with the ward. Open Lifeboat and sign in.")
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&code, "code", "", "the enrolment code (LIFEBOAT1:...) shown by lifeboat invite on the admin device")
	f.StringVar(&codeFile, "code-file", "", "read the enrolment code from this file")
	f.StringVar(&short, "short-code", "", "the short code (XXXX-XXXX-XXXX-XXXX), with --from and --fingerprint")
	f.StringVar(&from, "from", "", "the admin device's enrolment address (host:port)")
	f.StringVar(&fingerprint, "fingerprint", "", "the 16-digit fingerprint shown beside the short code")
	f.StringVar(&name, "name", "", "this device's name as IT will see it (default: the host name)")
	f.StringVar(&passFile, "passphrase-file", "", "read the ward passphrase from this file")
	f.StringVar(&bind, "bind", net.JoinHostPort("0.0.0.0", strconv.Itoa(mesh.DefaultBindPort)), "sync: address and port to listen on (UDP and TCP)")
	f.DurationVar(&wait, "sync-timeout", 5*time.Minute, "how long to wait for the first sync")
	return c
}

// ParseEnrolment reads how to reach the admin device: the full code
// (LIFEBOAT1:...), or the short code with the admin device's address and
// fingerprint, as typed (see mesh.NormaliseShortCode and
// mesh.NormaliseFingerprint: a 0 typed for an O is read as O). Its
// errors are plain words.
func ParseEnrolment(code, short, from, fingerprint string) (mesh.EnrolWith, error) {
	code, short, from, fingerprint = strings.TrimSpace(code), strings.TrimSpace(short), strings.TrimSpace(from), strings.TrimSpace(fingerprint)
	switch {
	case code != "" && short != "":
		return mesh.EnrolWith{}, errors.New("give the enrolment code or the short code, not both")
	case code != "":
		iv, err := mesh.DecodeInvite(code)
		if err != nil {
			return mesh.EnrolWith{}, errors.New("that is not a Lifeboat enrolment code: copy it again from the admin device (it starts LIFEBOAT1:)")
		}
		if time.Now().After(iv.Expires) {
			return mesh.EnrolWith{}, errors.New("that enrolment code has expired: ask IT for a new one")
		}
		return mesh.EnrolWith{Invite: &iv}, nil
	case short != "":
		sc, err := mesh.NormaliseShortCode(short)
		switch {
		case errors.Is(err, mesh.ErrShortCodeOne):
			return mesh.EnrolWith{}, errors.New("short codes use the letters I and L, never the digit 1: look again at the code and type I or L")
		case err != nil:
			return mesh.EnrolWith{}, errors.New("the short code is 16 letters and digits (2 to 7) in 4 groups, like ABCD-EFGH-JKLM-NPQR: type it again")
		}
		if _, _, err := splitHostPort(from); err != nil {
			return mesh.EnrolWith{}, fmt.Errorf("the admin device's address %q must be host:port, e.g. 10.1.7.20:7947", from)
		}
		fp, err := mesh.NormaliseFingerprint(fingerprint)
		if err != nil {
			return mesh.EnrolWith{}, errors.New("the fingerprint is the 16 letters and digits shown beside the short code: type it again")
		}
		return mesh.EnrolWith{ShortCode: sc, Addr: from, Fingerprint: fp}, nil
	}
	return mesh.EnrolWith{}, errors.New("give --code (or --code-file), or --short-code with --from and --fingerprint")
}

// EnrolDevice makes a new store in the data folder dir, protected by
// passphrase, and enrols it through the admin device with; on success the
// store belongs to the site and sync.json names the ward's peers, on
// failure nothing is left behind. The caller holds the folder's lock. Its
// errors read as plain words on a command line and wrap the enrolment's
// kinds (mesh.ErrAlreadyEnrolled and those of mesh.Enrol) for the app to
// put in its own words.
func EnrolDevice(ctx context.Context, dir string, with mesh.EnrolWith, name, passphrase string, kdf store.KDFParams) (mesh.EnrolGrant, error) {
	path := filepath.Join(dir, StoreFile)
	if _, err := os.Stat(path); err == nil {
		return mesh.EnrolGrant{}, fmt.Errorf("%s already holds a Lifeboat store: enrol into an empty data folder: %w", dir, mesh.ErrAlreadyEnrolled)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return mesh.EnrolGrant{}, fmt.Errorf("make data folder: %w", err)
	}
	db, err := store.Create(ctx, path, passphrase, kdf, store.Options{})
	if err != nil {
		return mesh.EnrolGrant{}, plain(err)
	}
	g, err := enrolStore(ctx, db, with, name)
	db.Close()
	if err == nil {
		err = saveSyncConf(dir, SyncConf{Join: g.Join})
	}
	if err != nil {
		removeStore(path)
		return mesh.EnrolGrant{}, err
	}
	return g, nil
}

// enrolStore enrols db's device and joins the site with the grant.
func enrolStore(ctx context.Context, db *store.DB, with mesh.EnrolWith, name string) (mesh.EnrolGrant, error) {
	pub, err := db.DevicePublicKey(ctx)
	if err != nil {
		return mesh.EnrolGrant{}, err
	}
	g, err := mesh.Enrol(ctx, with, pub, name)
	switch {
	case errors.Is(err, mesh.ErrClockOff):
		return mesh.EnrolGrant{}, fmt.Errorf("not enrolled: %w: set this device's date and time (or the admin device's), then try again with the same code", err)
	case errors.Is(err, mesh.ErrUnreachable):
		return mesh.EnrolGrant{}, fmt.Errorf("not enrolled: %w (is `lifeboat invite` still running there, and the address right?)", err)
	case err != nil:
		return mesh.EnrolGrant{}, fmt.Errorf("not enrolled: %w", err)
	}
	if err := db.JoinSite(ctx, store.SiteJoin{SiteID: g.SiteID, SiteName: g.SiteName, Ward: g.Ward, Anchor: g.Anchor, SiteKeys: g.SiteKeys, Drill: g.Drill, Devices: g.DeviceKeys()}); err != nil {
		return mesh.EnrolGrant{}, fmt.Errorf("join site: %w", err)
	}
	return g, nil
}

// firstSync runs a mesh node until it has heard from a peer and holds
// everything peers hold, then leaves; false if wait ran out first.
func firstSync(ctx context.Context, cfg mesh.Config, wait time.Duration, out io.Writer) (bool, error) {
	node, err := mesh.New(cfg)
	if err != nil {
		return false, fmt.Errorf("start sync: %w", err)
	}
	defer node.Close()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	defer func() { cancel(); <-done }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last := -1
	for {
		st := node.Status()
		heard := false
		for _, p := range st.Peers {
			heard = heard || !p.LastHeard.IsZero()
		}
		if pct := int(st.Progress() * 100); heard && pct != last && st.ToReceive > 0 {
			fmt.Fprintf(out, "Syncing: %d%% (%d events to go)\n", pct, st.ToReceive)
			last = pct
		}
		if heard && st.ToReceive == 0 && st.Received > 0 {
			return true, nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return false, nil
		case err := <-done:
			done <- err
			if err != nil && ctx.Err() == nil {
				return false, fmt.Errorf("sync: %w", err)
			}
			return false, nil
		}
	}
}

// removeStore deletes a store file that never became usable, with its
// SQLite side files.
func removeStore(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		_ = os.Remove(p)
	}
}
